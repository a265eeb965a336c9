import { describe, expect, it } from "vitest";
import { parsePiece } from "../../../src/results/load-worker.js";
import { parseResults } from "../../../src/results/io.js";
import { parseInParallel, type PieceParser } from "../../../src/results/parallel-load.js";
import { findCut, findCuts, pieces } from "../../../src/results/split-json.js";
import { syntheticResults } from "../report/synthetic.js";

/** Pieces parsed on this thread, by the code the worker threads run. */
const inThread: PieceParser = (request) => ({
  reply: Promise.resolve(parsePiece(request)),
  stop: () => undefined,
});

function shared(text: string): Uint8Array {
  const source = Buffer.from(text, "utf8");
  const bytes = new Uint8Array(new SharedArrayBuffer(source.length));
  bytes.set(source);
  return bytes;
}

const results = syntheticResults({ runs: 6, timelines: true, latency: true, seed: 3 });

describe("findCut", () => {
  it("finds a boundary between two objects, whatever the whitespace, and only before a key", () => {
    const bytes = Buffer.from('[{"a":1} ,\n {"b":2},{}, {"c":{"d":[{"e":1},{ "f":2}]}}]');
    const first = findCut(bytes, 0);
    expect(first).not.toBeNull();
    expect(bytes.subarray(0, first?.end).toString()).toBe('[{"a":1}');
    expect(bytes.subarray(first?.start).toString().startsWith('{"b":2}')).toBe(true);
    // "{}" opens no key: the next boundary is after it.
    const next = findCut(bytes, (first?.start ?? 0) + 1);
    expect(bytes.subarray(next?.start).toString().startsWith('{"c":')).toBe(true);
    // A nested boundary is found too: the pieces cut there fail their checks.
    const nested = findCut(bytes, (next?.start ?? 0) + 1);
    expect(bytes.subarray(nested?.start).toString().startsWith('{ "f":2}')).toBe(true);
    expect(findCut(Buffer.from('[{"a":1}]'), 0)).toBeNull();
  });
});

describe("parseInParallel (pieces parsed by the worker's code, on this thread)", () => {
  for (const [name, text] of [
    ["compact", JSON.stringify(results)],
    ["as bench writes it (indent 1)", JSON.stringify(results, null, 1)],
    ["indented with tabs", JSON.stringify(results, null, "\t")],
  ] as const) {
    for (const threads of [2, 3, 4]) {
      it(`${name}, ${threads} pieces: the same value as parsing the whole file`, async () => {
        const parallel = await parseInParallel(shared(text), threads, inThread);
        expect(parallel).not.toBeNull();
        expect(parallel).toEqual(parseResults(JSON.parse(text), "file"));
        expect(JSON.stringify(parallel)).toBe(JSON.stringify(parseResults(JSON.parse(text), "f")));
      });
    }
  }

  it("keeps keys that come after the runs", async () => {
    const { runs, warnings, finishedAt, complete, ...header } = results;
    const text = JSON.stringify({ ...header, runs, warnings, finishedAt, complete });
    expect(await parseInParallel(shared(text), 3, inThread)).toEqual(
      parseResults(JSON.parse(text), "f"),
    );
    // Keys after the runs that hold a "runs" token (the plan's run count) could be a second
    // runs key as far as the pieces know: such a file is parsed whole.
    const { plan, ...beforeRuns } = { ...header, warnings, finishedAt, complete };
    const planAfter = JSON.stringify({ ...beforeRuns, runs, plan });
    expect(JSON.parse(planAfter)).toEqual(JSON.parse(JSON.stringify(results)));
    expect(await parseInParallel(shared(planAfter), 2, inThread)).toBeNull();
    expect(await parseInParallel(shared(JSON.stringify(results)), 2, inThread)).not.toBeNull();
  });

  it("is not fooled by record boundaries written inside strings", async () => {
    const tricky = syntheticResults({ runs: 6, workloads: ['w},{"key":"x', "larson"], seed: 4 });
    const text = JSON.stringify(tricky);
    for (const threads of [2, 3, 4]) {
      const parallel = await parseInParallel(shared(text), threads, inThread);
      // Either a correct value or no value (then the caller parses the whole file).
      if (parallel !== null) expect(parallel).toEqual(parseResults(JSON.parse(text), "f"));
    }
  });

  it("gives up (null) where a piece could hide a second runs key, or the pieces are wrong", async () => {
    const named = syntheticResults({ runs: 6, workloads: ["runs", "larson"], seed: 5 });
    expect(await parseInParallel(shared(JSON.stringify(named)), 2, inThread)).toBeNull();
    // A duplicate top-level "runs" (JSON.parse keeps the last one): never half of each.
    const text = JSON.stringify(results);
    const duplicated = `${text.slice(0, -1)},"runs":[]}`;
    expect(await parseInParallel(shared(duplicated), 2, inThread)).toBeNull();
    // Not a results file: no boundary, or pieces that are not run arrays.
    expect(await parseInParallel(shared('{"a":[1,2,3]}'), 2, inThread)).toBeNull();
    const other = JSON.stringify({ list: [{ a: 1 }, { b: 2 }], runs: [] });
    expect(await parseInParallel(shared(other), 2, inThread)).toBeNull();
    // An invalid run: the fast validation cannot judge it, so the whole file is parsed by zod.
    const bad = JSON.parse(text) as { runs: { threads: unknown }[] };
    (bad.runs.at(-1) as { threads: unknown }).threads = "many";
    expect(await parseInParallel(shared(JSON.stringify(bad)), 2, inThread)).toBeNull();
    // Memory a worker cannot share.
    expect(await parseInParallel(Buffer.from(text), 2, inThread)).toBeNull();
  });

  it("stops the other pieces' parsers when one fails", async () => {
    const text = JSON.stringify(results);
    let stopped = 0;
    const failing: PieceParser = () => ({
      reply: Promise.resolve({ ok: false, reason: "test" }),
      stop: () => {
        stopped++;
      },
    });
    expect(await parseInParallel(shared(text), 3, failing)).toBeNull();
    expect(stopped).toBe(2);
  });
});

describe("findCuts / pieces", () => {
  it("splits by weight, every piece but the last closed, every piece but the first opened", () => {
    const text = JSON.stringify(results);
    const bytes = Buffer.from(text);
    const cuts = findCuts(bytes, 3, [1, 2, 1]);
    expect(cuts).toHaveLength(2);
    const parts = pieces(bytes.length, cuts ?? []);
    expect(parts.map((p) => [p.prefix, p.suffix])).toEqual([
      ["", "]}"],
      ['{"runs":[', "]}"],
      ['{"runs":[', ""],
    ]);
    const sizes = parts.map((p) => p.to - p.from);
    expect(sizes[1]).toBeGreaterThan(sizes[0] as number);
    for (const p of parts)
      expect(() => {
        JSON.parse(p.prefix + bytes.subarray(p.from, p.to).toString() + p.suffix);
      }).not.toThrow();
  });
});
