import { describe, expect, it } from "vitest";
import {
  parsePhases,
  parseResultLine,
  runExtras,
  workloadExtras,
  type WorkloadResult,
} from "../../../src/run/outcome.js";
import { OkRunSchema } from "../../../src/results/schema.js";
import { launcherRecord, okRun } from "../../../testkit/records.js";

/** An @result line as workloads/common/mallocbench.c prints it (larson, 2 threads). */
const LINE =
  '@result {"workload":"larson","ops":1000,"seconds":0.5,"threads":2,"seed":1,"size":"quick",' +
  '"allocator":"/usr/lib/x86_64-linux-gnu/libc.so.6","libc":"glibc","checksum":"0x1",' +
  '"params":{},"peakLiveBytes":1085426,"finalLiveBytes":0,' +
  '"latency":{"unit":"ns","sampleEvery":256,"clockOverhead":30,' +
  '"malloc":{"count":5854,"mean":2780.8,"p50":43,"p90":103,"p99":415,"p999":26623,"max":15528548},' +
  '"free":{"count":5927,"mean":80.5,"p50":31,"p90":63,"p99":767,"p999":30719,"max":99327}}}';

function result(line = LINE): WorkloadResult {
  const r = parseResultLine(line);
  if (!r) throw new Error("no result");
  return r;
}

describe("workloadExtras", () => {
  it("flattens latency into latency.<op>.<stat> metrics and keeps the sampling parameters", () => {
    const { metrics, record } = workloadExtras(result());
    expect(metrics["latency.malloc.p99"]).toBe(415);
    expect(metrics["latency.malloc.p999"]).toBe(26623);
    expect(metrics["latency.free.max"]).toBe(99327);
    expect(metrics["latency.free.mean"]).toBe(80.5);
    expect(metrics["latency.realloc.p50"]).toBeUndefined();
    expect(metrics.peakLiveBytes).toBe(1085426);
    expect(record).toEqual({
      finalLiveBytes: 0,
      latencySampling: {
        unit: "ns",
        sampleEvery: 256,
        clockOverheadNs: 30,
        samples: { malloc: 5854, free: 5927 },
      },
    });
  });

  it("has nothing for a workload that reports none of it, or with sampling off", () => {
    const bare = result('@result {"ops":1,"seconds":1,"allocator":"/x.so"}');
    expect(workloadExtras(bare)).toEqual({ metrics: {}, record: {} });
    const off = result(
      '@result {"ops":1,"seconds":1,"allocator":"/x.so","peakLiveBytes":5,"latency":{"unit":"ns","sampleEvery":0,"clockOverhead":0}}',
    );
    expect(workloadExtras(off)).toEqual({
      metrics: { peakLiveBytes: 5 },
      record: {
        latencySampling: { unit: "ns", sampleEvery: 0, clockOverheadNs: 0, samples: {} },
      },
    });
  });

  it("ignores malformed fields instead of recording them", () => {
    const bad = result(
      '@result {"ops":1,"seconds":1,"allocator":"/x.so","peakLiveBytes":-3,"latency":{"malloc":{"count":"many","p99":1}}}',
    );
    expect(workloadExtras(bad)).toEqual({ metrics: {}, record: {} });
  });
});

describe("parsePhases", () => {
  it("reads @phase lines in order and skips malformed ones", () => {
    const out = "x\n@phase work 0.001000\n@phase hold 1.5e-1\n@phase bad\n@phase end 0.300000\n";
    expect(parsePhases(out)).toEqual([
      ["work", 0.001],
      ["hold", 0.15],
      ["end", 0.3],
    ]);
  });
});

describe("runExtras", () => {
  it("derives memoryOverhead and retainedRssBytes and validates against the schema", () => {
    const stdout = `@phase hold 0.020000\n@phase end 0.060000\n${LINE}\n`;
    const record = launcherRecord({
      maxRssBytes: 4_341_704,
      rssTimeline: {
        intervalMs: 10,
        samples: [
          [10, 1_000_000],
          [20, 4_000_000],
          [40, 1_500_000],
          [50, 1_200_000],
          [70, 900_000],
        ],
        decimations: 0,
        maxSampledBytes: 4_000_000,
      },
    });
    const base = okRun();
    const metrics = { ...base.metrics, maxRssBytes: 4_341_704 };
    const extras = runExtras({ record, stdout, stderr: "" }, result(), metrics, undefined);
    expect(extras.metrics.memoryOverhead).toBeCloseTo(4_341_704 / 1_085_426, 10);
    expect(extras.metrics.retainedRssBytes).toBe(1_200_000);
    expect(extras.record.phases).toEqual([
      ["hold", 0.02],
      ["end", 0.06],
    ]);
    const run = {
      ...base,
      ...extras.record,
      metrics: { ...metrics, ...extras.metrics },
    };
    expect(OkRunSchema.safeParse(run).success).toBe(true);
  });

  it("callgrind's counts replace the perf counter", () => {
    const extras = runExtras(
      { record: launcherRecord(), stdout: LINE, stderr: "" },
      result(),
      { ...okRun().metrics, instructions: 5 },
      { instructions: 1234, allocatorInstructions: 600 },
    );
    expect(extras.metrics.instructions).toBe(1234);
    expect(extras.metrics.allocatorInstructions).toBe(600);
  });
});

describe("hardware counters", () => {
  it("become metrics when the kernel gave them, and are absent (with the reason kept) when not", async () => {
    const { metricsOf, perfUnavailable } = await import("../../../src/run/outcome.js");
    const events = {
      taskClockNs: 2e8,
      contextSwitches: 3,
      cpuMigrations: 0,
      pageFaults: 700,
      instructions: 9_000_000,
      cycles: 7_000_000,
      cacheMisses: 1200,
      branchMisses: 3400,
    };
    const given = launcherRecord({
      perf: { available: true, events, unavailable: {}, scaled: false, userSpaceOnly: false },
    });
    expect(metricsOf(given)).toMatchObject({
      instructions: 9_000_000,
      cycles: 7_000_000,
      cacheMisses: 1200,
      branchMisses: 3400,
    });
    expect(perfUnavailable(given)).toBeUndefined();
    const refused = launcherRecord({
      perf: {
        available: true,
        events: {
          ...events,
          instructions: null,
          cycles: null,
          cacheMisses: null,
          branchMisses: null,
        },
        unavailable: {
          instructions: "No such file or directory",
          cycles: "No such file or directory",
        },
        scaled: false,
        userSpaceOnly: false,
      },
    });
    const m = metricsOf(refused);
    expect(m?.instructions).toBeUndefined();
    expect(m?.cycles).toBeUndefined();
    expect(m?.taskClockSeconds).toBeCloseTo(0.2, 12);
    expect(perfUnavailable(refused)).toBe(
      "instructions: No such file or directory; cycles: No such file or directory",
    );
  });
});
