import { describe, expect, it } from "vitest";
import { parseProbeTimeout, parseTrials } from "../../../src/commands/hardening.js";
import { DEFAULT_PROBE_TIMEOUT_MS, DEFAULT_PROBE_TRIALS } from "../../../src/hardening/runner.js";
import { UsageError } from "../../../src/errors.js";

describe("bench hardening --timeout", () => {
  it("defaults to the probe timeout and reads durations", () => {
    expect(parseProbeTimeout(undefined)).toBe(DEFAULT_PROBE_TIMEOUT_MS);
    expect(parseProbeTimeout("1500ms")).toBe(1500);
    expect(parseProbeTimeout("2s")).toBe(2000);
  });

  it("rejects zero and non-durations as usage errors", () => {
    expect(() => parseProbeTimeout("0")).toThrow(UsageError);
    expect(() => parseProbeTimeout("0")).toThrow('--timeout must be above 0, got "0"');
    expect(() => parseProbeTimeout("soon")).toThrow(UsageError);
  });
});

describe("bench hardening --trials", () => {
  it("defaults to the runner's trials and reads whole numbers from 1 to 100", () => {
    expect(parseTrials(undefined)).toBe(DEFAULT_PROBE_TRIALS);
    expect(parseTrials("1")).toBe(1);
    expect(parseTrials("100")).toBe(100);
  });

  it("rejects anything else as one usage error", () => {
    for (const bad of ["0", "101", "2.5", "-1", "many", ""])
      expect(() => parseTrials(bad), bad).toThrow(UsageError);
    expect(() => parseTrials("0")).toThrow(
      '--trials must be a whole number from 1 to 100, got "0"',
    );
  });
});
