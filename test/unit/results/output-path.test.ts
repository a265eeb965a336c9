import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.js";
import {
  checkOutputDir,
  checkOutputFile,
  holdsMeasurements,
} from "../../../src/results/output-path.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "mb-outpath-"));
});

const never = { flag: "-o", overwrite: "never" } as const;

describe("checkOutputFile", () => {
  it("accepts a new file under missing parents, changing nothing", () => {
    const file = path.join(dir, "a", "b", "r.json");
    expect(checkOutputFile(file, never)).toBe(file);
    expect(existsSync(path.join(dir, "a"))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("names the ancestor that is a file", async () => {
    await writeFile(path.join(dir, "f"), "");
    expect(() => checkOutputFile(path.join(dir, "f", "x", "r.json"), never)).toThrow(
      new UsageError(`-o ${dir}/f/x/r.json: ${dir}/f is not a directory`),
    );
  });

  it("refuses a directory, a dangling link and an existing file (unless forced)", async () => {
    await mkdir(path.join(dir, "d"));
    await symlink(path.join(dir, "nothing"), path.join(dir, "link"));
    await writeFile(path.join(dir, "old.json"), "{}");
    expect(() => checkOutputFile(path.join(dir, "d"), never)).toThrow(/is a directory/);
    expect(() => checkOutputFile(path.join(dir, "link"), never)).toThrow(/link to nothing/);
    expect(() => checkOutputFile(path.join(dir, "link", "r.json"), never)).toThrow(
      /link to nothing/,
    );
    expect(() => checkOutputFile(path.join(dir, "old.json"), never)).toThrow(/already exists/);
    expect(checkOutputFile(path.join(dir, "old.json"), { ...never, force: true })).toBe(
      path.join(dir, "old.json"),
    );
  });

  it("with overwrite: measurements, protects only results, merged and journal files", async () => {
    const results = path.join(dir, "r.json");
    const journal = path.join(dir, "r.json.journal");
    const csv = path.join(dir, "r.csv");
    await writeFile(results, JSON.stringify({ schemaVersion: 1, tool: {}, environment: {} }));
    await writeFile(journal, '{"type":"header","schemaVersion":1}\n');
    await writeFile(csv, "a,b\n");
    expect(holdsMeasurements(results)).toBe(true);
    expect(holdsMeasurements(journal)).toBe(true);
    expect(holdsMeasurements(csv)).toBe(false);
    const check = { flag: "-o", overwrite: "measurements" } as const;
    expect(() => checkOutputFile(results, check)).toThrow(/holds measured runs/);
    expect(() => checkOutputFile(journal, check)).toThrow(/holds measured runs/);
    expect(checkOutputFile(csv, check)).toBe(csv);
  });
});

describe("checkOutputDir", () => {
  it("accepts an existing or creatable directory and refuses a file", async () => {
    await writeFile(path.join(dir, "f"), "");
    expect(checkOutputDir(path.join(dir, "new", "x"), "-o")).toBe(path.join(dir, "new", "x"));
    expect(() => checkOutputDir(path.join(dir, "f"), "-o")).toThrow(/f is not a directory/);
  });
});
