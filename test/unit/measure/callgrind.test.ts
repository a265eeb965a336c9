import { describe, expect, it } from "vitest";
import {
  allocatorInstructions,
  baseFunctionName,
  callgrindArgs,
  dropCallgrindUnsupported,
  GLIBC_MALLOC_FUNCTIONS,
  objectTotal,
  parseCallgrind,
} from "../../../src/measure/callgrind.js";
import { UsageError } from "../../../src/errors.js";

/** Shaped like callgrind 3.19's output: name compression, calls, inclusive call costs. */
const SAMPLE = `# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 1
cmd:  ./w --threads 1

positions: line
events: Ir
summary: 1000

ob=(1) /opt/lib/liballoc.so
fl=(1) ???
fn=(1) malloc
0 100
+2 20
cob=(2) /usr/lib/libc.so.6
cfi=(2) ???
cfn=(2) memset
calls=3 0
0 400

fn=(3) arena_grow.part.0
0 30

ob=(2)
fl=(2)
fn=(2)
0 400
fn=(4) _int_malloc
* 200
fn=(5) free@@GLIBC_2.2.5
-1 50
fn=(6) printf
0 200

ob=(3) /w
fl=(3) w.c
fn=(7) main
0 5
jump=2 +3
0 0
calls=1 0
cob=(1)
cfn=(1)
0 150

totals: 1005
`;

describe("parseCallgrind", () => {
  const p = parseCallgrind(SAMPLE);

  it("sums self costs per object and function, skipping the inclusive cost after calls=", () => {
    expect(p.events).toEqual(["Ir"]);
    expect(p.byFunction.get("/opt/lib/liballoc.so")).toEqual(
      new Map([
        ["malloc", 120],
        ["arena_grow.part.0", 30],
      ]),
    );
    // memset got its name from cfn=(2) and its object from cob=(2): both compressed ids resolve.
    expect(p.byFunction.get("/usr/lib/libc.so.6")?.get("memset")).toBe(400);
    expect(p.byFunction.get("/usr/lib/libc.so.6")?.get("_int_malloc")).toBe(200);
    expect(p.byFunction.get("/w")?.get("main")).toBe(5);
    expect(p.selfTotal).toBe(1005);
    expect(objectTotal(p, "/opt/lib/liballoc.so")).toBe(150);
  });

  it("takes totals: over summary:", () => {
    expect(p.totals).toBe(1005);
    expect(parseCallgrind("events: Ir\nsummary: 7\n").totals).toBe(7);
    expect(parseCallgrind("events: Ir\n").totals).toBeNull();
  });

  it("reads the cost after as many position columns as the file declares", () => {
    const q = parseCallgrind("positions: instr line\nevents: Ir Dr\nob=/a\nfn=f\n0x10 3 7 9\n");
    expect(q.byFunction.get("/a")?.get("f")).toBe(7);
  });

  it("rejects a malformed cost line", () => {
    expect(() => parseCallgrind("events: Ir\nfn=f\n0 x\n")).toThrow(/bad cost line/);
  });
});

describe("allocator instructions", () => {
  const p = parseCallgrind(SAMPLE);
  it("a preloaded allocator owns its whole object", () => {
    expect(allocatorInstructions(p, "/opt/lib/liballoc.so")).toBe(150);
  });
  it("the libc's malloc counts only its malloc functions, versioned names included", () => {
    // memset and printf are libc but not malloc; _int_malloc and free@@GLIBC_2.2.5 are.
    expect(allocatorInstructions(p, "/usr/lib/libc.so.6", GLIBC_MALLOC_FUNCTIONS)).toBe(250);
  });
  it("strips version and clone suffixes", () => {
    expect(baseFunctionName("free@@GLIBC_2.2.5")).toBe("free");
    expect(baseFunctionName("ptmalloc_init.part.0")).toBe("ptmalloc_init");
    expect(baseFunctionName("_int_free.isra.0.cold")).toBe("_int_free");
    expect(baseFunctionName("malloc'2")).toBe("malloc");
  });
});

describe("callgrindArgs", () => {
  it("passes the program and its arguments after --, as separate arguments", () => {
    const args = callgrindArgs("/tmp/o", "/bin/w", ["--threads", "1; rm -rf /"]);
    expect(args.slice(-4)).toEqual(["--", "/bin/w", "--threads", "1; rm -rf /"]);
    expect(args).toContain("--tool=callgrind");
    expect(args).toContain("--callgrind-out-file=/tmp/o");
  });
});

describe("dropCallgrindUnsupported", () => {
  const list = () => [
    { name: "glibc", libc: "glibc" },
    { name: "jemalloc", lib: "/usr/lib/libjemalloc.so.2", libc: "glibc" },
    { name: "musl", libc: "musl" },
    { name: "scudo-musl", lib: "/b/libscudo-musl.so", libc: "musl" },
  ];
  it("skips musl libraries that were not asked for by name, and says so", () => {
    const all = list();
    expect(dropCallgrindUnsupported(all, "all")).toMatch(/skipped scudo-musl/);
    expect(all.map((a) => a.name)).toEqual(["glibc", "jemalloc", "musl"]);
    const some = list();
    expect(dropCallgrindUnsupported(some, ["glibc", "musl"])).toMatch(/skipped/);
  });
  it("refuses one asked for by name, or leaving nothing", () => {
    expect(() => dropCallgrindUnsupported(list(), ["glibc", "scudo-musl"])).toThrow(
      /drop scudo-musl from -a/,
    );
    expect(() =>
      dropCallgrindUnsupported([{ name: "x", lib: "/x.so", libc: "musl" }], "all"),
    ).toThrow(UsageError);
  });
  it("keeps libc allocators and glibc preloads", () => {
    const l = list().filter((a) => a.name !== "scudo-musl");
    expect(dropCallgrindUnsupported(l, "all")).toBeUndefined();
    expect(l).toHaveLength(3);
  });
});
