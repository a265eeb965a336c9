import { describe, expect, it } from "vitest";
import { formatDuration, progressReporter } from "../../../src/commands/progress.js";
import type { RunRecord } from "../../../src/results/schema.js";
import { okRun } from "../../../testkit/records.js";

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const stream = {
    isTTY,
    columns: 120,
    text: "",
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
  };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

const ok: RunRecord = okRun({ checksum: null, metrics: { ...okRun().metrics, seconds: 0.123 } });

describe("progress", () => {
  it("formats durations", () => {
    expect(formatDuration(4_400)).toBe("4s");
    expect(formatDuration(125_000)).toBe("2m05s");
    expect(formatDuration(3_725_000)).toBe("1h02m");
  });

  it("redraws one bar with ETA in place on a terminal", () => {
    const stream = fakeStream(true);
    const p = progressReporter(stream);
    p.onRun?.(ok, { done: 1, total: 4, elapsedMs: 1000, etaMs: 3000 });
    p.onRun?.(ok, { done: 2, total: 4, elapsedMs: 2000, etaMs: 2000 });
    p.finish();
    expect(stream.text).toContain(
      "\r\x1b[2K[############------------] 2/4 50% ETA 2s  larson/glibc/t1 ok 0.123s",
    );
    expect(stream.text.split("\n")).toHaveLength(1); // no new lines: redrawn in place
  });

  it("prints plain lines, failures always, when not a terminal", () => {
    const stream = fakeStream(false);
    const p = progressReporter(stream);
    p.onRun?.(ok, { done: 1, total: 3, elapsedMs: 1000, etaMs: 2000 });
    p.onRun?.(ok, { done: 2, total: 3, elapsedMs: 2000, etaMs: 1000 });
    p.onRun?.(
      {
        ...ok,
        status: "failed",
        failure: { kind: "timeout", message: "killed after the 1000 ms timeout" },
        exitCode: null,
        signal: "SIGKILL",
        stderrTail: "",
      },
      { done: 3, total: 3, elapsedMs: 3000, etaMs: 0 },
    );
    const lines = stream.text.trim().split("\n");
    expect(lines).toEqual([
      "progress: 1/3 (33%), elapsed 1s, ETA 2s; last: larson/glibc/t1 ok 0.123s",
      "larson/glibc/t1 FAILED timeout: killed after the 1000 ms timeout",
      "progress: 3/3 (100%), elapsed 3s, ETA 0s; last: larson/glibc/t1 FAILED timeout: killed after the 1000 ms timeout",
    ]);
    expect(stream.text).not.toContain("\x1b");
  });
});
