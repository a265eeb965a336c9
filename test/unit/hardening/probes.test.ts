import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hardeningAllocatorsOf } from "../../../src/hardening/attach.js";
import { loadProbes, probesDir } from "../../../src/hardening/probes.js";
import { UsageError } from "../../../src/errors.js";

const dirs: string[] = [];
async function manifest(json: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-probes-"));
  dirs.push(dir);
  await writeFile(path.join(dir, "probes.json"), JSON.stringify(json));
  return dir;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("hardening probes manifest", () => {
  it("lists the package's probes, each with its source beside the manifest", async () => {
    const probes = await loadProbes();
    expect(probes.map((p) => p.name)).toEqual([
      "double-free",
      "invalid-free-interior",
      "invalid-free-stack",
      "heap-overflow",
      "use-after-free-write",
      "misaligned-free",
    ]);
    for (const p of probes) {
      expect(p.description.length).toBeGreaterThan(0);
      expect(p.workload.dir).toBe(probesDir());
      expect(p.workload.sources).toEqual(["probe.c", `${p.name}.c`]);
      for (const s of p.workload.sources) expect(existsSync(path.join(probesDir(), s))).toBe(true);
    }
    // No workload.json: the workload registry must not pick the probes up as workloads.
    expect(existsSync(path.join(probesDir(), "workload.json"))).toBe(false);
  });

  it("rejects bad manifests with one line naming the field", async () => {
    const badName = await manifest({
      common: [],
      probes: [{ name: "Bad Name", description: "x" }],
    });
    await expect(loadProbes(badName)).rejects.toThrow(UsageError);
    await expect(loadProbes(badName)).rejects.toThrow(/probes\[0\]\.name: /);
    const dup = await manifest({
      common: [],
      probes: [
        { name: "a", description: "x" },
        { name: "a", description: "y" },
      ],
    });
    await expect(loadProbes(dup)).rejects.toThrow('probe "a" is listed twice');
    const missing = path.join(os.tmpdir(), "mallocbench-no-such-probes-dir");
    await expect(loadProbes(missing)).rejects.toThrow(/probes\.json: cannot be read as JSON/);
  });

  it("takes the allocators of a results file as they were validated", () => {
    const got = hardeningAllocatorsOf([
      { name: "glibc", family: "glibc", libc: "glibc", env: {}, source: "libc" },
      {
        name: "scudo",
        family: "scudo",
        libc: "glibc",
        lib: "/lib/scudo.so",
        realLib: "/real/scudo.so",
        env: { SCUDO_OPTIONS: "x=1" },
        source: "discovered",
        version: "16",
      },
    ]);
    expect(got).toEqual([
      { name: "glibc", family: "glibc", libc: "glibc", env: {}, source: "libc" },
      {
        name: "scudo",
        family: "scudo",
        libc: "glibc",
        lib: "/lib/scudo.so",
        realLib: "/real/scudo.so",
        env: { SCUDO_OPTIONS: "x=1" },
        source: "discovered",
      },
    ]);
  });
});
