import { describe, expect, it } from "vitest";
import {
  parseCpus,
  parseDuration,
  parseParams,
  parseThreads,
  parseWorkloadList,
} from "../../src/config.js";
import { UsageError } from "../../src/errors.js";

describe("parseThreads", () => {
  it("accepts lists and power-of-two ranges, sorted and deduplicated", () => {
    expect(parseThreads("4,1,2,2")).toEqual([1, 2, 4]);
    expect(parseThreads("1-8")).toEqual([1, 2, 4, 8]);
    expect(parseThreads("1-6")).toEqual([1, 2, 4, 6]);
    expect(parseThreads("3")).toEqual([3]);
  });
  it("expands a..b to every integer from a to b", () => {
    expect(parseThreads("1..16")).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(parseThreads("3..5")).toEqual([3, 4, 5]);
    expect(parseThreads("7..7")).toEqual([7]);
    expect(parseThreads("1,2,4,8")).toEqual([1, 2, 4, 8]);
    expect(parseThreads("12,1..3,2-8")).toEqual([1, 2, 3, 4, 8, 12]);
  });
  it.each([
    "0",
    "-1",
    "x",
    "1.5",
    "",
    "8-2",
    "5000",
    "8..2",
    "0..4",
    "1...4",
    "1..",
    "..4",
    "1..5000",
  ])("rejects %j with a UsageError", (value) => {
    expect(() => parseThreads(value)).toThrow(UsageError);
  });
});

describe("parseParams", () => {
  it("collects repeated flags in order, values canonical and deduplicated", () => {
    const params = parseParams(["objsize=32,64", "iterations=0100,100,7"]);
    expect(params).toEqual({ objsize: ["32", "64"], iterations: ["100", "7"] });
    expect(Object.keys(params)).toEqual(["objsize", "iterations"]);
    expect(parseParams(["min=-3"])).toEqual({ min: ["-3"] });
    expect(parseParams([])).toEqual({});
  });
  it.each([
    ["objsize"],
    ["=32"],
    ["objsize="],
    ["objsize=32,,64"],
    ["objsize=big"],
    ["objsize=1.5"],
    ["objsize=99999999999999999999"],
    ["obj size=3"],
  ])("rejects %j with a UsageError", (value) => {
    expect(() => parseParams([value])).toThrow(UsageError);
  });
  it("rejects a parameter given twice, naming it", () => {
    expect(() => parseParams(["objsize=32", "objsize=64"])).toThrow(/objsize is given twice/);
  });
});

describe("parseDuration", () => {
  it("reads units, seconds by default", () => {
    expect(parseDuration("90", "--timeout")).toBe(90_000);
    expect(parseDuration("1.5s", "--timeout")).toBe(1500);
    expect(parseDuration("250ms", "--timeout")).toBe(250);
    expect(parseDuration("2m", "--timeout")).toBe(120_000);
  });
  it("names the flag on bad input", () => {
    expect(() => parseDuration("soon", "--timeout")).toThrow(/--timeout: "soon"/);
  });
});

describe("parseCpus", () => {
  it("accepts CPU 0 and rejects CPUs the machine does not have", () => {
    expect(parseCpus("0")).toBe("0");
    expect(() => parseCpus("0-99999")).toThrow(/outside this machine's CPUs/);
    expect(() => parseCpus("a,b")).toThrow(/not a CPU list/);
  });
});

describe("cpuCount and defaultThreads", () => {
  it("counts CPU lists and follows --cpus", async () => {
    const { cpuCount, defaultThreads } = await import("../../src/config.js");
    expect(cpuCount("0,2-3")).toBe(3);
    expect(cpuCount("5")).toBe(1);
    expect(defaultThreads("0")).toEqual([1]);
    expect(defaultThreads("0-1")).toEqual([1, 2]);
  });
});

describe("parseWorkloadList", () => {
  it("reads all as every synthetic workload and a list as names", () => {
    expect(parseWorkloadList("all")).toBe("all");
    expect(parseWorkloadList(" all ")).toBe("all");
    expect(parseWorkloadList("larson,xmalloc")).toEqual(["larson", "xmalloc"]);
  });
  it("rejects an empty item like any list", () => {
    expect(() => parseWorkloadList("larson,,xmalloc")).toThrow(/--workloads/);
  });
});
