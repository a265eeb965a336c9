import { describe, expect, it } from "vitest";
import {
  derivedMemoryMetrics,
  formatValue,
  METRICS,
  metricInfo,
  retainedRssBytes,
  valuesOf,
} from "../../../src/analysis/metrics.js";
import { MetricsSchema, type Timeline } from "../../../src/results/schema.js";
import { UsageError } from "../../../src/errors.js";
import { okRun } from "../../../testkit/records.js";

function timeline(samples: [number, number][], intervalMs = 10): Timeline {
  return { intervalMs, samples, decimations: 0, maxSampledBytes: null };
}

describe("metric catalog", () => {
  it("accepts latency.<op>.<stat> names on the command line, lower is better, in ns", () => {
    const info = metricInfo("latency.malloc.p99");
    expect(info.unit).toBe("ns");
    expect(info.better).toBe("lower");
    expect(metricInfo("latency.free.p999").description).toMatch(/99\.9th percentile.*free/);
    expect(() => metricInfo("latency.malloc.p95")).toThrow(UsageError);
  });

  it("has the memory and counted metrics, lower is better", () => {
    for (const name of [
      "peakLiveBytes",
      "memoryOverhead",
      "retainedRssBytes",
      "allocatorInstructions",
    ])
      expect(metricInfo(name).better).toBe("lower");
    expect(metricInfo("instructions").deterministic).toBe(true);
    expect(metricInfo("allocatorInstructions").deterministic).toBe(true);
    expect(metricInfo("seconds").deterministic).toBeUndefined();
  });

  it("names only metrics the results schema can hold", () => {
    const fields = Object.keys(MetricsSchema.shape);
    for (const m of METRICS) expect(fields).toContain(m.name);
  });

  it("reads a latency metric from run records like any other", () => {
    const runs = [
      okRun({ metrics: { ...okRun().metrics, "latency.malloc.p99": 300 } }),
      okRun({ metrics: { ...okRun().metrics, "latency.malloc.p99": 500 } }),
      okRun(),
    ];
    expect(valuesOf(runs, "latency.malloc.p99")).toEqual([300, 500]);
  });

  it("formats nanoseconds and ratios", () => {
    expect(formatValue(42.4, metricInfo("latency.malloc.p50"))).toBe("42 ns");
    expect(formatValue(3071, metricInfo("latency.malloc.p99"))).toBe("3.07 µs");
    expect(formatValue(15528548, metricInfo("latency.malloc.max"))).toBe("15.53 ms");
    expect(formatValue(3.974, metricInfo("memoryOverhead"))).toBe("3.97x");
  });
});

describe("memoryOverhead", () => {
  it("is peak RSS over peak live bytes", () => {
    const m = derivedMemoryMetrics({
      maxRssBytes: 4_000_000,
      peakLiveBytes: 1_000_000,
      timeline: undefined,
      phases: [],
    });
    expect(m).toEqual({ memoryOverhead: 4 });
  });
  it("is absent without live bytes (or with none live)", () => {
    for (const peakLiveBytes of [undefined, 0])
      expect(
        derivedMemoryMetrics({ maxRssBytes: 1, peakLiveBytes, timeline: undefined, phases: [] }),
      ).toEqual({});
  });
});

describe("retainedRssBytes", () => {
  const samples: [number, number][] = [
    [10, 1000],
    [20, 9000],
    [30, 9000],
    [40, 5000], // hold starts at 0.032 s: the first sample inside is >= 42 ms
    [50, 3000],
    [60, 2500],
    [70, 8000], // after "end" (0.065 s): teardown, not the hold
  ];
  it("inside the hold phase: its last sample", () => {
    const phases: [string, number][] = [
      ["work", 0.005],
      ["hold", 0.032],
      ["end", 0.065],
    ];
    expect(retainedRssBytes(timeline(samples), phases)).toBe(2500);
  });
  it("ignores samples within one interval after the phase started", () => {
    // hold 0.045..0.058: only the 55..58 ms window qualifies: no sample; 0.045..0.065: 60 ms.
    expect(
      retainedRssBytes(timeline(samples), [
        ["hold", 0.045],
        ["end", 0.058],
      ]),
    ).toBeUndefined();
    expect(
      retainedRssBytes(timeline(samples), [
        ["hold", 0.045],
        ["end", 0.065],
      ]),
    ).toBe(2500);
    expect(
      retainedRssBytes(timeline(samples), [
        ["hold", 0.041],
        ["end", 0.065],
      ]),
    ).toBe(2500);
  });
  it("without a hold phase: the last sample after the last phase", () => {
    expect(retainedRssBytes(timeline(samples), [["churn", 0.045]])).toBe(8000);
    expect(retainedRssBytes(timeline(samples), [["done", 0.07]])).toBeUndefined();
  });
  it("without phases: the last sample, skipping those of an exiting process (0 bytes)", () => {
    expect(retainedRssBytes(timeline(samples), [])).toBe(8000);
    expect(retainedRssBytes(timeline([...samples, [80, 0]]), [])).toBe(8000);
  });
  it("needs a timeline", () => {
    expect(retainedRssBytes(undefined, [])).toBeUndefined();
    expect(retainedRssBytes(timeline([]), [])).toBeUndefined();
  });
});
