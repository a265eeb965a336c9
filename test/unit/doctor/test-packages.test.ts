import { readFile } from "node:fs/promises";
import path from "node:path";
// What `bench setup --tests` prints: test/integration/doctor/test-packages.test.ts.
import { describe, expect, it } from "vitest";
import { APT_TEST_PACKAGES } from "../../../src/doctor/test-packages.js";
import { ROOT } from "../../helpers/cli.js";

describe("the test suite's system packages", () => {
  it("are all installed by .ci/run", async () => {
    const ci = await readFile(path.join(ROOT, ".ci", "run"), "utf8");
    const words = new Set(ci.split(/[\s\\]+/));
    expect(APT_TEST_PACKAGES.filter((p) => !words.has(p))).toEqual([]);
  });
});
