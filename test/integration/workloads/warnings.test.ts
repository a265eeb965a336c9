import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { loadWorkloads, workloadRoots } from "../../../src/targets/workloads.js";
import { ROOT, tempDir } from "../../helpers/cli.js";

const COMMON = path.join(ROOT, "workloads", "common");
/** gcc (glibc), clang (glibc) and musl-gcc (musl): every one of them is installed by .ci/run. */
const COMPILERS = ["gcc", "clang", "musl-gcc"];
const FLAGS = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-pthread"];

/** Every workload builds warning-free with -Wall -Wextra under gcc, clang and musl-gcc. */
describe("workloads build warning-free", async () => {
  const workloads = await loadWorkloads(workloadRoots());
  for (const cc of COMPILERS)
    it(`with ${cc}`, async () => {
      const dir = await tempDir();
      const failures: string[] = [];
      for (const w of workloads) {
        const sources = w.sources.map((s) => path.join(w.dir, s));
        const r = await execa(
          cc,
          [
            ...FLAGS,
            "-I",
            COMMON,
            path.join(COMMON, "mallocbench.c"),
            ...sources,
            "-o",
            path.join(dir, w.name),
            "-ldl",
          ],
          { reject: false, all: true },
        );
        if (r.exitCode !== 0) failures.push(`${w.name}: ${String(r.all)}`);
      }
      expect(failures).toEqual([]);
      expect(workloads.length).toBeGreaterThanOrEqual(3);
    }, 240_000);
});
