import { describe, expect, it } from "vitest";
import {
  entryPointsOf,
  interpositionProblem,
  RUNTIME_ENTRY_POINTS,
  workloadInterpositionProblem,
  workloadUses,
} from "../../../src/setup/identity.js";

const LIB = "/usr/lib/libx.so";
const LIBC = "/usr/lib/libc.so.6";
const isLib = (file: string): boolean => file === LIB;
const all = (over: Record<string, string | null> = {}): Record<string, string | null> => ({
  ...Object.fromEntries(RUNTIME_ENTRY_POINTS.map((name) => [name, LIB])),
  ...over,
});

describe("interposition of every entry point", () => {
  it("passes when every required entry point comes from the expected object", () => {
    expect(interpositionProblem(all(), RUNTIME_ENTRY_POINTS, isLib, "x")).toBeUndefined();
  });

  it("names malloc first when the preload did not take effect at all", () => {
    expect(interpositionProblem(all({ malloc: LIBC }), ["malloc", "calloc"], isLib, LIB)).toBe(
      `allocator not interposed: malloc came from ${LIBC}, expected ${LIB}`,
    );
  });

  it("names each other entry point and where it resolved, in order", () => {
    expect(
      interpositionProblem(
        all({ posix_memalign: LIBC, calloc: LIBC, realloc: null }),
        RUNTIME_ENTRY_POINTS,
        isLib,
        LIB,
      ),
    ).toBe(
      `partially interposed: calloc from ${LIBC}, realloc unresolved, posix_memalign from ${LIBC}; expected ${LIB}`,
    );
  });

  it("an entry point missing from the report counts as unresolved", () => {
    expect(
      interpositionProblem({ malloc: LIB, free: LIB }, ["malloc", "memalign"], isLib, LIB),
    ).toBe(`partially interposed: memalign unresolved; expected ${LIB}`);
  });

  it("refuses reports that are not a name -> path|null object", () => {
    for (const bad of [undefined, null, [], "x", { malloc: 1 }]) {
      expect(entryPointsOf(bad)).toBeUndefined();
      expect(interpositionProblem(bad, ["malloc"], isLib, LIB)).toMatch(/names no entry points/);
    }
  });

  it("a workload's uses: malloc and free always, unknown names refused", () => {
    expect(workloadUses([])).toEqual(["malloc", "free"]);
    expect(workloadUses(["posix_memalign", "calloc"])).toEqual([
      "malloc",
      "free",
      "calloc",
      "posix_memalign",
    ]);
    expect(workloadUses(["memalign"])).toBeUndefined();
    expect(workloadUses("calloc")).toBeUndefined();
    expect(workloadUses(undefined)).toBeUndefined();
  });

  it("a workload is checked on what it uses only", () => {
    const entryPoints = all({ aligned_alloc: LIBC });
    expect(workloadInterpositionProblem({ entryPoints, uses: ["calloc"] }, isLib, LIB)).toBe(
      undefined,
    );
    expect(workloadInterpositionProblem({ entryPoints, uses: ["aligned_alloc"] }, isLib, LIB)).toBe(
      `partially interposed: aligned_alloc from ${LIBC}; expected ${LIB}`,
    );
    expect(workloadInterpositionProblem({ entryPoints }, isLib, LIB)).toMatch(
      /does not list the entry points it uses/,
    );
  });
});
