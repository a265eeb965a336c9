import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseResults, readJournal } from "../../../src/results/io.js";
import { checkedRun } from "../../../src/results/run-validator.js";
import { RunRecordSchema, type RunRecord } from "../../../src/results/schema.js";
import { okRun, resultsHeader } from "../../../testkit/records.js";

/** Each metric's domain, held by zod's schema and by the validator compiled from it alike. */
const HOSTILE: [string, (run: Record<string, unknown>) => void, RegExp][] = [
  [
    "seconds -1",
    (r) => ((r["metrics"] as Record<string, unknown>)["seconds"] = -1),
    /metrics\.seconds: must be > 0/,
  ],
  [
    "seconds 0",
    (r) => ((r["metrics"] as Record<string, unknown>)["seconds"] = 0),
    /metrics\.seconds: must be > 0/,
  ],
  [
    "wallSeconds 0",
    (r) => ((r["metrics"] as Record<string, unknown>)["wallSeconds"] = 0),
    /metrics\.wallSeconds: must be > 0/,
  ],
  [
    "sysSeconds -0.1",
    (r) => ((r["metrics"] as Record<string, unknown>)["sysSeconds"] = -0.1),
    /metrics\.sysSeconds: must be >= 0/,
  ],
  [
    "maxRssBytes -1",
    (r) => ((r["metrics"] as Record<string, unknown>)["maxRssBytes"] = -1),
    /metrics\.maxRssBytes: must be >= 0/,
  ],
  [
    "ops 2.5",
    (r) => ((r["metrics"] as Record<string, unknown>)["ops"] = 2.5),
    /metrics\.ops: must be an integer/,
  ],
  [
    "ops beyond 2^53",
    (r) => ((r["metrics"] as Record<string, unknown>)["ops"] = 2 ** 60),
    /metrics\.ops/,
  ],
  [
    "seconds NaN",
    (r) => ((r["metrics"] as Record<string, unknown>)["seconds"] = Number.NaN),
    /metrics\.seconds/,
  ],
  [
    "seconds Infinity",
    (r) => ((r["metrics"] as Record<string, unknown>)["seconds"] = Number.POSITIVE_INFINITY),
    /metrics\.seconds/,
  ],
  [
    "latency -3",
    (r) => ((r["metrics"] as Record<string, unknown>)["latency.malloc.p99"] = -3),
    /metrics\.latency\.malloc\.p99: must be >= 0/,
  ],
  [
    "negative sample time",
    (r) =>
      (r["timeline"] = {
        intervalMs: 10,
        samples: [[-1, 4096]],
        decimations: 0,
        maxSampledBytes: 4096,
      }),
    /timeline\.samples\[0\]\[0\]: must be >= 0/,
  ],
];

function hostile(edit: (run: Record<string, unknown>) => void): Record<string, unknown> {
  const run = structuredClone(okRun()) as unknown as Record<string, unknown>;
  edit(run);
  return run;
}

describe("metric domains on load", () => {
  it.each(HOSTILE)(
    "refuses %s in zod's schema, the compiled validator and a results file",
    (_name, edit, field) => {
      const run = hostile(edit);
      expect(RunRecordSchema.safeParse(run).success).toBe(false);
      expect(checkedRun(structuredClone(run))).toBeUndefined();
      const file = {
        ...resultsHeader,
        finishedAt: null,
        complete: true,
        warnings: [],
        runs: [okRun(), run],
      };
      expect(() => parseResults(file, "f.json")).toThrow(
        new RegExp(`f\\.json: not a mallocbench results file: field runs\\[1\\]\\.${field.source}`),
      );
    },
  );

  it("refuses measured seconds beyond the process's wall time, and takes them within it", () => {
    const run = okRun({ metrics: { ...okRun().metrics, seconds: 0.2, wallSeconds: 0.1 } });
    const file = { ...resultsHeader, finishedAt: null, complete: true, warnings: [], runs: [run] };
    expect(() => parseResults(file, "f.json")).toThrow(
      /field runs\[0\]\.metrics\.seconds: 0\.2 exceeds metrics\.wallSeconds 0\.1/,
    );
    const fine = okRun({
      metrics: {
        ...okRun().metrics,
        seconds: 0.1,
        wallSeconds: 0.1,
        userSeconds: 0,
        sysSeconds: 0,
      },
    });
    expect(parseResults({ ...file, runs: [fine] }, "f.json").runs).toHaveLength(1);
  });

  it("refuses a journal line outside the domains, naming the line", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "mb-domains-"));
    const file = path.join(dir, "r.json.journal");
    const bad = hostile(HOSTILE[0]![1]) as unknown as RunRecord;
    await writeFile(
      file,
      [
        { type: "header", ...resultsHeader },
        { type: "run", ...okRun() },
        { type: "run", ...bad },
      ]
        .map((l) => JSON.stringify(l))
        .join("\n") + "\n",
    );
    await expect(readJournal(file)).rejects.toThrow(
      /r\.json\.journal:3: .*metrics\.seconds: must be > 0/,
    );
  });
});
