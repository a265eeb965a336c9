import { describe, expect, it } from "vitest";
import { parseProbeTimeout } from "../../../src/commands/hardening.js";
import { DEFAULT_PROBE_TIMEOUT_MS } from "../../../src/hardening/runner.js";
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
