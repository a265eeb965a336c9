/** `bench setup --tests --dry-run` through the built CLI. */
import { describe, expect, it } from "vitest";
import { APT_TEST_PACKAGES } from "../../../src/doctor/test-packages.js";
import { bench } from "../../helpers/cli.js";

describe("the test suite's system packages", () => {
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
