import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  LIMITS,
  loadConfigFile,
  parseDuration,
  parseParams,
  parsePositiveInt,
} from "../../src/config.js";
import { UsageError } from "../../src/errors.js";

describe("numeric bounds of a plan", () => {
  it("parsePositiveInt refuses numbers above the flag's limit", () => {
    expect(parsePositiveInt("100000", "--runs", 1, LIMITS.runsPerCell)).toBe(100_000);
    expect(() => parsePositiveInt("1000000000", "--runs", 1, LIMITS.runsPerCell)).toThrow(
      /^--runs: 1000000000 is above the limit of 100000$/,
    );
    expect(() => parsePositiveInt("99999999999999999999", "--warmup", 0)).toThrow(UsageError);
  });

  it("durations are bounded to 30 days and never overflow", () => {
    expect(parseDuration("720h", "--timeout")).toBe(LIMITS.durationMs);
    expect(() => parseDuration("721h", "--timeout")).toThrow(/longer than the limit/);
    expect(() => parseDuration("9".repeat(400), "--timeout")).toThrow(/longer than the limit/);
  });

  it("--param combinations are bounded before the cells are built", () => {
    const values = Array.from({ length: 101 }, (_, i) => String(i + 1)).join(",");
    expect(() => parseParams([`a=${values}`, `b=${values}`])).toThrow(
      /10201 combinations of values is above the limit of 10000/,
    );
  });

  it("the config file's runs, warmup and threads are bounded", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-cfg-"));
    for (const [body, field] of [
      [{ runs: 1_000_000_000 }, "runs"],
      [{ warmup: 1_000_000 }, "warmup"],
      [{ threads: [1, 100_000] }, "threads[1]"],
    ] as const) {
      const file = path.join(dir, `${field}.json`);
      await writeFile(file, JSON.stringify(body));
      await expect(loadConfigFile(file)).rejects.toThrow(
        new RegExp(`: ${field.replace(/[.[\]]/g, "\\$&")}: `),
      );
    }
  });
});
