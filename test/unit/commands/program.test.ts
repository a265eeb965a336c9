import { describe, expect, it } from "vitest";
import { proposeMetric } from "../../../src/commands/program.js";

describe("bench program init: the proposed metric", () => {
  it("a printed rate is a throughput, higher is better, its number captured", () => {
    const proposed = proposeMetric("threads: 4\nThroughput = 5123456.5 operations/sec\n");
    expect(proposed.metric).toMatchObject({
      kind: "reported",
      unit: "operations/s",
      better: "higher",
    });
    if (proposed.metric.kind !== "reported") throw new Error("expected reported");
    const match = new RegExp(proposed.metric.value, "m").exec(
      "threads: 4\nThroughput = 77 operations/sec\n",
    );
    expect(match?.[1]).toBe("77");
    expect(proposed.from).toEqual(["Throughput = 5123456.5 operations/sec"]);
  });

  it("'per second' counts as a rate", () => {
    expect(proposeMetric("relaxed: 12 ops per second\n").metric).toMatchObject({
      kind: "reported",
      unit: "ops/s",
    });
  });

  it("otherwise the wall time, with ops= and checksum= lines when printed", () => {
    expect(proposeMetric("ops=12\nchecksum=ab12\n").metric).toEqual({
      kind: "wall",
      ops: "^ops\\s*[=:]\\s*([0-9]+)$",
      checksum: "^checksum\\s*[=:]\\s*(\\S+)$",
    });
    expect(proposeMetric("hello\n").metric).toEqual({ kind: "wall" });
  });
});
