import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/errors.js";
import {
  claimSamples,
  CUT_MIN_CHARS,
  cutSamples,
  timelineSamples,
} from "../../../src/results/deferred-samples.js";
import { buildDescriptiveModel } from "../../../src/report/model.js";
import { parseResults } from "../../../src/results/io.js";
import type { ResultsFile } from "../../../src/results/schema.js";
import { loadResultSets } from "../../../src/results/sets.js";
import { syntheticResults } from "../../../testkit/synthetic.js";

/** A results file of 2,400 runs with 20-sample timelines: about 3 MB of JSON, above the cut. */
function big(seed = 3): ResultsFile {
  return syntheticResults({
    workloads: ["threadtest", "larson", "xmalloc"],
    allocators: ["glibc", "musl", "jemalloc", "scudo"],
    threads: [1, 2, 4, 8],
    runs: 50,
    latency: true,
    timelines: true,
    seed,
  });
}

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mb-deferred-"));
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

/** Load one result set with its timeline samples deferred, as bench report does. */
async function loadDeferred(file: string): Promise<ResultsFile> {
  const sets = await loadResultSets(file, { deferTimelineSamples: true });
  expect(sets).toHaveLength(1);
  return sets[0] as ResultsFile;
}

/** Every run's samples read through timelineSamples, so the file is whole again. */
function readAll(results: ResultsFile): ResultsFile {
  for (const run of results.runs) if (run.timeline) timelineSamples(run.timeline);
  return results;
}

describe("loading results files with the timeline samples parsed when read", () => {
  it("gives the values of a whole parse, compact or indented as bench run writes it", async () => {
    const results = big();
    for (const text of [JSON.stringify(results), `${JSON.stringify(results, null, 1)}\n`]) {
      expect(text.length).toBeGreaterThan(CUT_MIN_CHARS);
      const file = await tempFile("r.json", text);
      const loaded = await loadDeferred(file);
      // Deferred: empty until read through timelineSamples, then the file's own.
      expect(loaded.runs[5]?.timeline?.samples).toEqual([]);
      const timeline = loaded.runs[5]?.timeline;
      if (!timeline) throw new Error("no timeline");
      expect(timelineSamples(timeline)).toEqual(results.runs[5]?.timeline?.samples);
      expect(timeline.samples).toEqual(results.runs[5]?.timeline?.samples);
      expect(timelineSamples(timeline)).toBe(timeline.samples); // parsed once
      // Every run read: the values of a whole parse, field by field and as JSON.
      expect(readAll(loaded)).toEqual(results);
      expect(JSON.stringify(loaded)).toBe(JSON.stringify(parseResults(JSON.parse(text), file)));
      // Without the option, nothing is deferred.
      const [plain] = await loadResultSets(file);
      expect(plain?.runs[5]?.timeline?.samples).toEqual(results.runs[5]?.timeline?.samples);
    }
  });

  it("gives the report's model the same timelines, parsing only the typical runs' samples", async () => {
    const results = big(5);
    const file = await tempFile("r.json", JSON.stringify(results));
    const deferredSet = await loadDeferred(file);
    const now = new Date("2026-11-26T00:00:00Z");
    const model = buildDescriptiveModel([{ results: deferredSet, source: file, baseline: "glibc" }], now);
    const plain = buildDescriptiveModel([{ results, source: file, baseline: "glibc" }], now);
    expect(model.testbeds[0]?.timelines.length).toBeGreaterThan(0);
    // Everything the model derives is the same (its copy of the runs differs: most samples
    // were never read).
    const derived = (m: typeof model) => m.testbeds.map(({ results: _runs, ...rest }) => rest);
    expect(derived(model)).toEqual(derived(plain));
    // One run per cell at the highest thread count (12 cells) had its samples parsed.
    const parsed = deferredSet.runs.filter((r) => (r.timeline?.samples.length ?? 0) > 0);
    expect(parsed.length).toBe(12);
  });

  it("does the same for every set of a merged file", async () => {
    const sets = [big(1), big(2)];
    const merged = {
      schemaVersion: 1,
      kind: "merged",
      tool: { name: "mallocbench", version: "0.1.0" },
      createdAt: "2026-11-26T00:00:00.000Z",
      sources: ["a.json", "b.json"],
      sets,
    };
    const loaded = await loadResultSets(await tempFile("m.json", JSON.stringify(merged)), {
      deferTimelineSamples: true,
    });
    expect(loaded.map((s) => s.runs[7]?.timeline?.samples.length)).toEqual([0, 0]);
    expect(loaded.map(readAll)).toEqual(sets);
  });

  it("cuts only object keys: text in a string that reads like samples stays as it is", () => {
    const name = 'x","samples":[[1,2]],"y';
    const text = JSON.stringify({ pad: " ".repeat(CUT_MIN_CHARS), name, timeline: { samples: [[1, 2]] } });
    const cut = cutSamples(text);
    expect(cut?.pieces).toEqual(["[[1,2]]"]);
    const json = JSON.parse(cut?.text ?? "") as { name: string; timeline: { samples: string } };
    expect(json.name).toBe(name);
    expect(json.timeline.samples.startsWith(cut?.tag ?? "?")).toBe(true);
    // Small texts are parsed whole.
    expect(cutSamples(JSON.stringify({ timeline: { samples: [[1, 2]] } }))).toBeNull();
  });

  it("hands back to the whole parse any sample array it is not sure of", () => {
    const pad = " ".repeat(CUT_MIN_CHARS);
    const claim = (samples: string) => {
      const cut = cutSamples(`{"pad":"${pad}","runs":[{"timeline":{"samples":${samples}}}]}`);
      if (!cut) return "left in the text";
      let json: { runs: unknown[] };
      try {
        json = JSON.parse(cut.text) as { runs: unknown[] };
      } catch {
        return "whole parse"; // as parseResultSetsText does
      }
      return claimSamples([json.runs], cut) === null ? "whole parse" : "deferred";
    };
    expect(claim("[]")).toBe("deferred");
    expect(claim("[[0,1],[10.5,2],[1e-7,3],[2.5E+10,0]]")).toBe("deferred");
    expect(claim("[ [ 0 , 1 ] ,\n [ 1 , 999999999999999 ] ]")).toBe("deferred");
    for (const bad of [
      "[[1e999,1]]", // would be Infinity
      "[[1,1e3]]", // an integer written with an exponent: valid, but not taken
      "[[1,5.0]]",
      "[[1,-1]]", // negative bytes
      "[[-2.5,1]]", // a negative time: the schema refuses it, so it must reach the schema
      "[[1,1234567890123456]]", // 16 digits: maybe not a safe integer
      "[[01,1]]", // not JSON
      "[[1,2,3]]", // not a pair
      "[[1,2]]]", // a bracket too many: cut, then the cut text does not parse
      "[[1,2],]",
    ])
      expect(claim(bad), bad).not.toBe("deferred");
    // A placeholder anywhere but in a run's timeline is left for validation to refuse.
    const cut = cutSamples(`{"pad":"${pad}","runs":[{"latencySampling":{"samples":[[1,2]]}}]}`);
    const json = JSON.parse(cut?.text ?? "") as { runs: { latencySampling: { samples: unknown } }[] };
    expect(claimSamples([json.runs], cut as NonNullable<typeof cut>)).toEqual([[undefined]]);
    expect(typeof json.runs[0]?.latencySampling.samples).toBe("string");
  });

  it("leaves a valid sample array it does not take to JSON.parse and the schema", async () => {
    const results = big(9);
    // The first run's first sample, [0, bytes], with its byte count as 1.5e6: an integer, so
    // valid, but written with an exponent, which the scan does not take.
    const first = results.runs[0]?.timeline?.samples[0];
    if (!first) throw new Error("no samples");
    first[1] = 1_500_000;
    const text = JSON.stringify(results).replace('"samples":[[0,1500000]', '"samples":[[0,1.5e6]');
    expect(text).toContain("1.5e6");
    const loaded = await loadDeferred(await tempFile("r.json", text));
    expect(loaded.runs[0]?.timeline?.samples[0]).toEqual([0, 1_500_000]); // parsed as usual
    expect(loaded.runs[1]?.timeline?.samples).toEqual([]); // deferred
    expect(readAll(loaded)).toEqual(results);
  });

  it("reports a bad sample with the whole parse's message", async () => {
    const results = big();
    const broken = JSON.parse(JSON.stringify(results)) as { runs: { timeline: { samples: number[][] } }[] };
    (broken.runs[17] as { timeline: { samples: number[][] } }).timeline.samples[3] = [30, -5];
    const file = await tempFile("bad.json", JSON.stringify(broken));
    const error = await loadDeferred(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(String(error)).toMatch(/field runs\[17\]\.timeline\.samples\[3\]\[1\]/);
    // And a syntax error is the whole text's.
    const text = JSON.stringify(results);
    const cutAt = text.indexOf('"samples":[[') + 15;
    const torn = await tempFile("torn.json", `${text.slice(0, cutAt)}}${text.slice(cutAt)}`);
    await expect(loadDeferred(torn)).rejects.toThrow(/torn\.json: not valid JSON/);
  });
});
