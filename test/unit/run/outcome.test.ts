import { describe, expect, it } from "vitest";
import type { LauncherRecord } from "../../../src/measure/launcher.js";
import { launcherRecord } from "../../../testkit/records.js";
import {
  classify,
  echoOf,
  implausible,
  parseResultChannel,
  parseResultLine,
  type ReferenceResult,
  type WorkloadResult,
} from "../../../src/run/outcome.js";
import { RUNTIME_ENTRY_POINTS } from "../../../src/setup/identity.js";

const record = launcherRecord;

const JE = "/usr/lib/libjemalloc.so.2";
const entryPointsOf = (
  over: Record<string, string | null> = {},
): Record<string, string | null> => ({
  ...Object.fromEntries(RUNTIME_ENTRY_POINTS.map((name) => [name, JE])),
  ...over,
});
const fields = {
  workload: "larson",
  ops: 10,
  seconds: 0.01,
  threads: 1,
  seed: 1,
  size: "quick",
  allocator: JE,
  entryPoints: entryPointsOf(),
  uses: [...RUNTIME_ENTRY_POINTS],
  libc: "glibc",
  checksum: "0x0000000000000001",
  params: { slots: 10 },
};
const line = (over: Record<string, unknown> = {}): string =>
  `@result ${JSON.stringify({ ...fields, ...over })}\n`;
const result = line();
const channel = (text: string) => ({ text, overflow: false });
const isJemalloc = (id: string): boolean => id === "/usr/lib/libjemalloc.so.2";
const reference: ReferenceResult = {
  ops: 10,
  checksum: "0x0000000000000001",
  echo: echoOf(fields as unknown as WorkloadResult),
};

describe("parseResultLine (a workload run by hand prints its record to stdout)", () => {
  it("takes the last @result line and ignores log lines", () => {
    expect(
      parseResultLine(`log\n@result {"ops":1,"seconds":1,"allocator":"a"}\nmore\n${result}`)?.ops,
    ).toBe(10);
    expect(parseResultLine("@result {broken")).toBeUndefined();
    expect(parseResultLine('@result {"ops":"many","seconds":1,"allocator":"a"}')).toBeUndefined();
  });
});

describe("parseResultChannel", () => {
  it("accepts exactly one well-formed record", () => {
    expect(parseResultChannel(channel(result))).toMatchObject({ ok: true, result: { ops: 10 } });
  });

  it("is no-result when nothing reached the channel", () => {
    expect(parseResultChannel(channel(""))).toMatchObject({ ok: false, kind: "no-result" });
  });

  it("is result-protocol for two records, other text, a torn or malformed record", () => {
    for (const text of [
      result + result,
      `log\n${result}`,
      `${result}log\n`,
      result.slice(0, -1),
      result.slice(0, 40),
      "@result [1]\n",
      "@result {broken\n",
      line({ ops: -1 }),
      line({ ops: 1.5 }),
      line({ ops: "many" }),
      line({ seconds: "fast" }),
      line({ checksum: "0xdeadbeef" }),
      line({ checksum: undefined }),
      line({ allocator: null }),
      line({ threads: undefined }),
    ])
      expect(parseResultChannel(channel(text)), text).toMatchObject({
        ok: false,
        kind: "result-protocol",
      });
    expect(parseResultChannel({ text: result, overflow: true })).toMatchObject({
      kind: "result-protocol",
    });
  });
});

describe("implausible", () => {
  const r = (seconds: number) => ({ ...fields, seconds }) as unknown as WorkloadResult;
  it("takes seconds > 0, finite and within the process's wall time", () => {
    expect(implausible(r(0.05), 0.1)).toBeUndefined();
    expect(implausible(r(0.1), 0.1)).toBeUndefined();
    expect(implausible(r(0), 0.1)).toMatch(/seconds 0 is not > 0/);
    expect(implausible(r(-1), 0.1)).toMatch(/not > 0/);
    expect(implausible(r(Number.NaN), 0.1)).toMatch(/NaN/);
    expect(implausible(r(Number.POSITIVE_INFINITY), null)).toMatch(/Infinity/);
    expect(implausible(r(0.2), 0.1)).toMatch(/exceed the process's wall time 0.1/);
  });
});

describe("classify", () => {
  const c = (
    r: Partial<LauncherRecord>,
    text = result,
    stderr = "",
    check: Parameters<typeof classify>[3] = { reference },
  ): unknown =>
    classify(
      { record: record(r), stdout: "", stderr, channel: channel(text) },
      "jemalloc",
      isJemalloc,
      check,
    );

  it("accepts a run whose identity matches and whose result agrees with the reference", () => {
    expect(c({})).toMatchObject({ status: "ok" });
  });

  it("never reads the result from stdout", () => {
    expect(
      classify(
        { record: record({}), stdout: result, stderr: "", channel: channel("") },
        "jemalloc",
        isJemalloc,
      ),
    ).toMatchObject({ kind: "no-result" });
  });

  it("maps each failure to its kind", () => {
    expect(c({ exitCode: 3 }, "", "heap corruption detected: x\n")).toMatchObject({
      kind: "heap-corruption",
      message: "heap corruption detected: x",
    });
    expect(c({ exitCode: 4 }, "")).toMatchObject({ kind: "out-of-memory" });
    // Workloads report last: code 3 or 4 after a result is some other code's exit.
    expect(c({ exitCode: 3 })).toMatchObject({
      kind: "exit",
      message: expect.stringMatching(/code 3 after the workload had written its result/),
    });
    expect(c({ exitCode: 4 })).toMatchObject({ kind: "exit" });
    expect(c({ exitCode: 9 })).toMatchObject({ kind: "exit", message: "exited with code 9" });
    expect(
      c({ status: "signaled", exitCode: null, signal: 11, signalName: "SIGSEGV" }),
    ).toMatchObject({ kind: "signal", message: "killed by SIGSEGV" });
    expect(c({ status: "timeout", exitCode: null })).toMatchObject({ kind: "timeout" });
    expect(c({ status: "spawn-failed", exitCode: null, error: "execvp x: ENOENT" })).toMatchObject({
      kind: "spawn-failed",
      message: "execvp x: ENOENT",
    });
    expect(c({}, "")).toMatchObject({ kind: "no-result" });
    expect(c({}, result + result)).toMatchObject({ kind: "result-protocol" });
    expect(c({}, result.replaceAll("libjemalloc", "libc"))).toMatchObject({
      kind: "not-interposed",
      message: "allocator not interposed: malloc came from /usr/lib/libc.so.2, expected jemalloc",
    });
    expect(c({ status: "interrupted" })).toEqual({ status: "interrupted" });
  });

  it("fails a run whose other entry points resolve elsewhere, naming each and where", () => {
    const partial = line({
      entryPoints: entryPointsOf({ calloc: "/usr/lib/libc.so.6", posix_memalign: null }),
    });
    expect(c({}, partial)).toMatchObject({
      status: "failed",
      kind: "not-interposed",
      message:
        "partially interposed: calloc from /usr/lib/libc.so.6, posix_memalign unresolved; expected jemalloc",
      identity: JE,
    });
    // A result that names no entry points, or not which it uses, cannot be verified.
    expect(c({}, line({ entryPoints: undefined }))).toMatchObject({ kind: "not-interposed" });
    expect(c({}, line({ uses: undefined }))).toMatchObject({
      kind: "not-interposed",
      message: expect.stringMatching(/does not list the entry points it uses/),
    });
  });

  it("checks only the entry points the workload uses (malloc and free always)", () => {
    const elsewhere = entryPointsOf({ aligned_alloc: "/usr/lib/libc.so.6", calloc: null });
    const withUses = (uses: string[]): string => line({ entryPoints: elsewhere, uses });
    expect(c({}, withUses(["realloc"]))).toMatchObject({ status: "ok" });
    expect(c({}, withUses([]))).toMatchObject({ status: "ok" });
    expect(c({}, withUses(["aligned_alloc"]))).toMatchObject({
      kind: "not-interposed",
      message: "partially interposed: aligned_alloc from /usr/lib/libc.so.6; expected jemalloc",
    });
    expect(c({}, withUses(["calloc", "memalign"]))).toMatchObject({ kind: "not-interposed" });
  });

  it("fails a result that disagrees with the reference: checksum, ops, or the work it describes", () => {
    expect(c({}, line({ checksum: "0x00000000deadbeef" }))).toMatchObject({
      kind: "result-mismatch",
      message: expect.stringMatching(/checksum 0x00000000deadbeef differs from the reference/),
    });
    expect(c({}, line({ ops: 1e12 }))).toMatchObject({
      kind: "result-mismatch",
      message: expect.stringMatching(/ops 1000000000000 differs/),
    });
    for (const over of [{ seed: 2 }, { threads: 4 }, { size: "full" }, { params: { slots: 11 } }])
      expect(c({}, line(over)), JSON.stringify(over)).toMatchObject({ kind: "result-mismatch" });
  });

  it("fails an implausible result, and one with no reference to check it against", () => {
    expect(c({ wallSeconds: 0.001 })).toMatchObject({ kind: "result-implausible" });
    expect(c({}, line({ seconds: 0 }))).toMatchObject({ kind: "result-implausible" });
    expect(
      c({}, result, "", { reference: { error: "the reference run timed out" } }),
    ).toMatchObject({ kind: "result-unverified", message: expect.stringMatching(/timed out/) });
  });
});
