// Reading real libraries and probing real libcs: test/integration/allocators/system.test.ts.
import { describe, expect, it } from "vitest";
import {
  classifySystemAllocator,
  describeSystemAllocator,
  PROBE_SIZES,
} from "../../../src/platform/system-allocator.js";

const exact = Object.fromEntries(PROBE_SIZES.map((n) => [String(n), n]));
const rounded = { "1": 24, "13": 24, "100": 104, "1000": 1000 };

describe("classifySystemAllocator", () => {
  it("glibc with ptmalloc2's consistency-check messages is ptmalloc2", () => {
    const r = classifySystemAllocator({
      libc: "glibc",
      signatures: ["malloc(): corrupted top size", "malloc_consolidate(): "],
      usable: rounded,
      libcVersion: "2.36",
    });
    expect(r.allocator).toBe("ptmalloc2");
    expect(r.evidence.join("\n")).toContain("rounded up");
  });

  it("musl reporting the requested sizes is mallocng; rounded sizes are oldmalloc", () => {
    expect(
      classifySystemAllocator({ libc: "musl", signatures: [], usable: exact, libcVersion: "1.2.3" })
        .allocator,
    ).toBe("mallocng");
    expect(
      classifySystemAllocator({
        libc: "musl",
        signatures: [],
        usable: { "1": 16, "13": 16, "100": 112, "1000": 1008 },
        libcVersion: "1.1.24",
      }).allocator,
    ).toBe("oldmalloc");
  });

  it("an allocator built into the libc wins over the behaviour (e.g. Scudo in musl)", () => {
    expect(
      classifySystemAllocator({
        libc: "musl",
        signatures: ["Scudo ERROR"],
        usable: exact,
        libcVersion: "1.2.5",
      }).allocator,
    ).toBe("scudo");
    expect(
      classifySystemAllocator({
        libc: "glibc",
        signatures: ["mimalloc: ", "malloc(): corrupted top size"],
        usable: rounded,
        libcVersion: null,
      }).allocator,
    ).toBe("mimalloc");
  });

  it("without evidence it says unknown", () => {
    expect(
      classifySystemAllocator({ libc: "musl", signatures: [], usable: null, libcVersion: null })
        .allocator,
    ).toBe("unknown");
    expect(
      classifySystemAllocator({ libc: "glibc", signatures: [], usable: rounded, libcVersion: null })
        .allocator,
    ).toBe("unknown");
  });

  it("describes the result in one line", () => {
    expect(describeSystemAllocator("glibc", "ptmalloc2", "2.36")).toBe("ptmalloc2 (glibc 2.36)");
    expect(describeSystemAllocator("musl", "scudo", "1.2.5")).toBe("scudo (built into musl 1.2.5)");
    expect(describeSystemAllocator("musl", "unknown", null)).toBe("unknown allocator in musl");
  });
});
