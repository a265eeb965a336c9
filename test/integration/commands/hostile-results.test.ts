import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, bench, errorLines, tempDir } from "../../helpers/cli.js";

/**
 * Results files whose metrics lie outside their domain, through every command that reads one:
 * each refuses the file with exit 2 and one line naming the field, and `check` never passes.
 */
type Json = Record<string, unknown>;
type Run = { status: string; metrics: Json; timeline?: { samples: unknown[] } };

const HOSTILE: { name: string; field: RegExp; edit: (runs: Run[]) => void }[] = [
  {
    name: "seconds -1",
    field: /runs\[0\]\.metrics\.seconds: must be > 0/,
    edit: (r) => void (r[0]!.metrics["seconds"] = -1),
  },
  {
    name: "seconds 0",
    field: /runs\[0\]\.metrics\.seconds: must be > 0/,
    edit: (r) => void (r[0]!.metrics["seconds"] = 0),
  },
  {
    name: "wallSeconds 0",
    field: /runs\[1\]\.metrics\.wallSeconds: must be > 0/,
    edit: (r) => void (r[1]!.metrics["wallSeconds"] = 0),
  },
  {
    name: "seconds beyond the process's life",
    field: /runs\[2\]\.metrics\.seconds: 1e\+300 exceeds metrics\.wallSeconds/,
    edit: (r) => void (r[2]!.metrics["seconds"] = 1e300),
  },
  {
    name: "seconds as a string",
    field: /runs\[0\]\.metrics\.seconds/,
    edit: (r) => void (r[0]!.metrics["seconds"] = "NaN"),
  },
  {
    name: "negative count",
    field: /runs\[3\]\.metrics\.maxRssBytes: must be >= 0/,
    edit: (r) => void (r[3]!.metrics["maxRssBytes"] = -4096),
  },
  {
    name: "fractional ops",
    field: /runs\[0\]\.metrics\.ops: must be an integer/,
    edit: (r) => void (r[0]!.metrics["ops"] = 1.5),
  },
  {
    name: "negative rate",
    field: /runs\[0\]\.metrics\.opsPerSecond: must be >= 0/,
    edit: (r) => void (r[0]!.metrics["opsPerSecond"] = -1),
  },
  {
    name: "negative CPU time",
    field: /runs\[0\]\.metrics\.userSeconds: must be >= 0/,
    edit: (r) => void (r[0]!.metrics["userSeconds"] = -0.5),
  },
  {
    name: "negative sample time",
    field: /runs\[0\]\.timeline\.samples\[0\]\[0\]: must be >= 0/,
    edit: (r) => void ((r[0]!.timeline!.samples[0] as number[])[0] = -5),
  },
];

const COMMANDS: { name: string; args: (file: string, dir: string) => string[] }[] = [
  { name: "compare", args: (f) => ["compare", f] },
  { name: "report", args: (f, d) => ["report", f, "-o", path.join(d, "report")] },
  {
    name: "export",
    args: (f, d) => ["export", f, "--format", "csv", "-o", path.join(d, "out.csv")],
  },
  { name: "merge", args: (f, d) => ["merge", f, f, "-o", path.join(d, "merged.json")] },
  {
    name: "check --baseline",
    args: (f) => ["check", f, "--baseline", path.join(ROOT, "results", "example.json")],
  },
  { name: "check --against", args: (f) => ["check", f, "--against", "glibc"] },
];

describe("hostile results files through every command", () => {
  const files = new Map<string, string>();
  let dir: string;

  beforeAll(async () => {
    dir = await tempDir();
    const text = await readFile(path.join(ROOT, "results", "example.json"), "utf8");
    for (const h of HOSTILE) {
      const json = JSON.parse(text) as { runs: Run[] };
      expect(json.runs.slice(0, 4).every((r) => r.status === "ok")).toBe(true);
      h.edit(json.runs);
      const file = path.join(dir, `${h.name.replace(/\W+/g, "-")}.json`);
      await writeFile(file, JSON.stringify(json));
      files.set(h.name, file);
    }
  });

  for (const command of COMMANDS)
    it(`${command.name} refuses each with exit 2 and one line naming the field`, async () => {
      for (const h of HOSTILE) {
        const file = files.get(h.name) as string;
        const r = await bench(command.args(file, dir));
        const lines = errorLines(String(r.stderr));
        expect(r.exitCode, `${h.name}: ${String(r.all)}`).toBe(2);
        expect(lines, h.name).toHaveLength(1);
        expect(lines[0], h.name).toMatch(h.field);
        expect(lines[0], h.name).not.toMatch(/\bat \w+ \(/);
      }
    }, 300_000);
});
