import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { APT_TEST_PACKAGES } from "../../../src/doctor/test-packages.js";
import { bench, ROOT } from "../../helpers/cli.js";

describe("the test suite's system packages", () => {
  it("are all installed by .ci/run", async () => {
    const ci = await readFile(path.join(ROOT, ".ci", "run"), "utf8");
    const words = new Set(ci.split(/[\s\\]+/));
    expect(APT_TEST_PACKAGES.filter((p) => !words.has(p))).toEqual([]);
  });

  it("are what bench setup --tests installs (dry run prints the apt-get line)", async () => {
    const r = await bench(["setup", "--tests", "--dry-run"]);
    expect(r.exitCode).toBe(0);
    const line = String(r.stderr)
      .split("\n")
      .find((l) => l.includes("apt-get install") && l.includes("qemu-user"));
    expect(line).toBeDefined();
    for (const p of APT_TEST_PACKAGES) expect(line?.split(" ")).toContain(p);
  });
});
