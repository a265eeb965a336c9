import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bench, errorLines, tempDir } from "../helpers/cli.js";

// Numbers far beyond any real benchmark are refused before anything runs: exit 2 with one line,
// no results file, and no lock left behind (once it was an abort, exit 134, with a stale lock).
describe("plan bounds", () => {
  const cases: [string, string[], RegExp][] = [
    ["-n 1000000000", ["-n", "1000000000"], /^bench: --runs: 1000000000 is above the limit/],
    ["--warmup 1000000", ["--warmup", "1000000"], /^bench: --warmup: 1000000 is above the limit/],
    [
      "--max-runs 1000000000",
      ["--precision", "2%", "--max-runs", "1000000000"],
      /^bench: --max-runs: 1000000000 is above the limit/,
    ],
    [
      "--timeout 9999999h",
      ["--timeout", "9999999h"],
      /^bench: --timeout: .* longer than the limit/,
    ],
    [
      "--max-time 9999999h",
      ["--precision", "2%", "--max-time", "9999999h"],
      /^bench: --max-time: .* longer than the limit/,
    ],
    [
      "--rss-interval 99999999999",
      ["--rss-interval", "99999999999"],
      /^bench: --rss-interval: .* above the limit/,
    ],
    [
      "a plan of 4096 thread counts x 1000 runs",
      ["-w", "larson", "-a", "glibc", "-t", "1..4096", "-n", "1000"],
      /^bench: the plan has 4096 cell\(s\) x 1001 run\(s\) = 4100096 runs, above the limit of 1000000/,
    ],
  ];
  for (const [name, args, message] of cases) {
    it(`${name}: exit 2, one line, no lock and no results left`, async () => {
      const dir = await tempDir();
      const out = path.join(dir, "r.json");
      const lock = path.join(dir, "lock");
      const r = await bench(["run", "-q", ...args, "-o", out], { env: { MALLOCBENCH_LOCK: lock } });
      expect(r.exitCode, String(r.all)).toBe(2);
      const lines = errorLines(String(r.stderr));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(existsSync(lock)).toBe(false);
      expect(existsSync(out)).toBe(false);
    });
  }
});
