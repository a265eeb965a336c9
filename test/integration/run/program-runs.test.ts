/**
 * Which cells of a program run, on this machine: lua5.4 is found on PATH and its libc read,
 * the identity library is built with the host toolchain.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ResolvedAllocator } from "../../../src/allocators/types.js";
import { detectToolchains } from "../../../src/platform/toolchain.js";
import { workloadsDir } from "../../../src/paths.js";
import { preparePrograms } from "../../../src/run/program-runs.js";
import { findOnPath, loadPrograms } from "../../../src/targets/programs.js";
import { ROOT } from "../../helpers/cli.js";

const FIXTURES = path.join(ROOT, "test", "fixtures", "programs");

describe("cells a program skips", () => {
  const glibc = { name: "glibc", family: "glibc", libc: "glibc", env: {}, source: "libc" };
  const musl = { name: "musl", family: "musl", libc: "musl", env: {}, source: "libc" };

  it("skips other-libc allocators, thread counts of single-threaded programs and absent programs", async (ctx) => {
    ctx.skip(
      (await findOnPath("lua5.4")) === undefined,
      "lua5.4 is not installed (Debian: lua5.4)",
    );
    const programs = (await loadPrograms([FIXTURES, workloadsDir()])).filter((p) =>
      ["absent-program", "lua5.4"].includes(p.name),
    );
    const host = (await detectToolchains()).find((t) => t.kind === "host");
    const warnings: string[] = [];
    const set = await preparePrograms({
      programs,
      allocators: [glibc, musl] as unknown as ResolvedAllocator[],
      threads: [1, 2],
      host,
      onWarning: (m) => warnings.push(m),
    });
    const reasons = Object.fromEntries(set.skipped.map((s) => [s.cell, s.reason]));
    expect(reasons["lua5.4/musl/t1"]).toBe("program is linked against glibc");
    expect(reasons["lua5.4/glibc/t2"]).toBe("single-threaded program: runs at t1 only");
    expect(reasons["lua5.4/glibc/t1"]).toBeUndefined();
    expect(reasons["absent-program/glibc/t1"]).toBe(
      "absent: /nonexistent/mallocbench-absent-program does not exist",
    );
    expect(warnings.some((w) => w.startsWith("program absent-program skipped: absent:"))).toBe(
      true,
    );
    expect(set.identityLibs.get("glibc")).toMatch(/libmallocbench-identity\.so$/);
  });
});
