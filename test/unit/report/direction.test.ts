import { describe, expect, it } from "vitest";
import {
  axisLabelExpr,
  directed,
  directedInterval,
  disagrees,
  MEMORY_WORDS,
  TIME_WORDS,
} from "../../../src/analysis/direction.js";
import { buildDocument } from "../../../src/report/document.js";
import { renderMarkdown } from "../../../src/report/markdown.js";
import { buildModel, cpuListCount } from "../../../src/report/model.js";
import { LABEL_MAX } from "../../../src/util/text.js";
import { syntheticResults } from "../../../testkit/synthetic.js";

describe("one ratio convention", () => {
  it("folds ratios to >= 1 and names the direction", () => {
    expect(directed(0.25, TIME_WORDS)).toBe("4.00x faster");
    expect(directed(2.4, TIME_WORDS)).toBe("2.40x slower");
    expect(directed(1.3, MEMORY_WORDS)).toBe("1.30x more memory");
    expect(directed(1 / 1.3, MEMORY_WORDS)).toBe("1.30x less memory");
    expect(directed(1.002, TIME_WORDS)).toBe("1.00x: no difference");
    expect(directed(0.998, TIME_WORDS)).toBe("1.00x: no difference");
    expect(directedInterval(0.4, 0.5, TIME_WORDS)).toBe("2.00-2.50x faster");
    expect(directedInterval(0.8, 1.25, TIME_WORDS)).toBe("1.25x faster to 1.25x slower");
  });

  it("reads the CPU count from a Linux CPU list", () => {
    expect(cpuListCount("0-15")).toBe(16);
    expect(cpuListCount("0,2,4-7")).toBe(6);
    expect(cpuListCount("garbage")).toBeNull();
    expect(cpuListCount(null)).toBeNull();
  });

  it("marks cells whose ratio of medians and HL estimate point in opposite directions (bimodal runs)", () => {
    expect(disagrees(0.9, 2.5)).toBe(true);
    expect(disagrees(0.9, 0.8)).toBe(false);
    expect(disagrees(1.001, 0.5)).toBe(false);
    // Two clusters per side: the medians fall in different clusters (2.5 against 1.0: slower)
    // while most pairs of runs say faster (Hodges-Lehmann 0.9).
    const results = syntheticResults({ runs: 9, threads: [1], workloads: ["threadtest"] });
    const set = (allocator: string, values: number[]): void => {
      const runs = results.runs.filter((r) => r.allocator === allocator && r.status === "ok");
      runs.forEach((r, i) => {
        if (r.status === "ok") r.metrics.seconds = values[i] as number;
      });
    };
    set("glibc", [1, 1, 1, 1, 1, 3, 3, 3, 3]);
    set("musl", [0.9, 0.9, 0.9, 0.9, 2.5, 2.5, 2.5, 2.5, 2.5]);
    const model = buildModel([{ results, source: "r", baseline: "glibc" }]);
    const musl = model.testbeds[0]!.timeRatios.find((r) => r.allocator === "musl")!;
    expect(musl.medianRatio).toBeCloseTo(2.5, 9);
    expect(musl.ratio).toBeLessThan(1);
    expect(musl.bimodal).toBe(true);
    const md = renderMarkdown(buildDocument(model, []));
    expect(md).toMatch(/\| threadtest \| 1 \| musl \| [^|]+ \| [^|]+ \| 1\.\d\dx faster ‡ \|/);
    expect(md).toContain("‡ The ratio of the medians points the other way");
  });
});

describe("axis labels", () => {
  it("stay within the length chart specs keep (longer strings are cut)", () => {
    expect(axisLabelExpr(TIME_WORDS).length).toBeLessThanOrEqual(LABEL_MAX);
    expect(axisLabelExpr({ below: "less", above: "more" }).length).toBeLessThanOrEqual(LABEL_MAX);
  });
});
