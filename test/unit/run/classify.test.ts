import { describe, expect, it } from "vitest";
import type { LauncherRecord } from "../../../src/measure/launcher.js";
import { launcherRecord } from "../../helpers/records.js";
import { classify, parseResultLine } from "../../../src/run/classify.js";
import { RUNTIME_ENTRY_POINTS } from "../../../src/run/identity.js";

const record = launcherRecord;

const JE = "/usr/lib/libjemalloc.so.2";
const entryPoints = (over: Record<string, string | null> = {}): string =>
  JSON.stringify({
    ...Object.fromEntries(RUNTIME_ENTRY_POINTS.map((name) => [name, JE])),
    ...over,
  });
const ALL_USED = JSON.stringify(RUNTIME_ENTRY_POINTS);
const result = `@result {"ops":10,"seconds":0.01,"allocator":"${JE}","entryPoints":${entryPoints()},"uses":${ALL_USED},"checksum":"0x1"}\n`;
const isJemalloc = (id: string): boolean => id === "/usr/lib/libjemalloc.so.2";

describe("classify", () => {
  it("takes the last @result line and ignores log lines", () => {
    expect(
      parseResultLine(`log\n@result {"ops":1,"seconds":1,"allocator":"a"}\nmore\n${result}`)?.ops,
    ).toBe(10);
    expect(parseResultLine("@result {broken")).toBeUndefined();
    expect(parseResultLine('@result {"ops":"many","seconds":1,"allocator":"a"}')).toBeUndefined();
  });

  it("accepts a run whose identity matches", () => {
    expect(
      classify({ record: record({}), stdout: result, stderr: "" }, "jemalloc", isJemalloc),
    ).toMatchObject({ status: "ok" });
  });

  it("maps each failure to its kind", () => {
    const c = (r: Partial<LauncherRecord>, stdout = result, stderr = ""): unknown =>
      classify({ record: record(r), stdout, stderr }, "jemalloc", isJemalloc);
    expect(c({ exitCode: 3 }, "", "heap corruption detected: x\n")).toMatchObject({
      kind: "heap-corruption",
      message: "heap corruption detected: x",
    });
    expect(c({ exitCode: 4 })).toMatchObject({ kind: "out-of-memory" });
    expect(c({ exitCode: 9 })).toMatchObject({ kind: "exit", message: "exited with code 9" });
    expect(
      c({ status: "signaled", exitCode: null, signal: 11, signalName: "SIGSEGV" }),
    ).toMatchObject({ kind: "signal", message: "killed by SIGSEGV" });
    expect(c({ status: "timeout", exitCode: null })).toMatchObject({ kind: "timeout" });
    expect(c({ status: "spawn-failed", exitCode: null, error: "execvp x: ENOENT" })).toMatchObject({
      kind: "spawn-failed",
      message: "execvp x: ENOENT",
    });
    expect(c({}, "no result\n")).toMatchObject({ kind: "no-result" });
    expect(c({}, result.replaceAll("libjemalloc", "libc"))).toMatchObject({
      kind: "not-interposed",
      message: "allocator not interposed: malloc came from /usr/lib/libc.so.2, expected jemalloc",
    });
    expect(c({ status: "interrupted" })).toEqual({ status: "interrupted" });
  });

  it("fails a run whose other entry points resolve elsewhere, naming each and where", () => {
    const c = (stdout: string): unknown =>
      classify({ record: record({}), stdout, stderr: "" }, "jemalloc", isJemalloc);
    const partial = result.replace(
      entryPoints(),
      entryPoints({ calloc: "/usr/lib/libc.so.6", posix_memalign: null }),
    );
    expect(c(partial)).toMatchObject({
      status: "failed",
      kind: "not-interposed",
      message:
        "partially interposed: calloc from /usr/lib/libc.so.6, posix_memalign unresolved; expected jemalloc",
      identity: JE,
    });
    // A result that names no entry points, or not which it uses, cannot be verified.
    expect(c(result.replace(`"entryPoints":${entryPoints()},`, ""))).toMatchObject({
      kind: "not-interposed",
    });
    expect(c(result.replace(`"uses":${ALL_USED},`, ""))).toMatchObject({
      kind: "not-interposed",
      message: expect.stringMatching(/does not list the entry points it uses/),
    });
  });

  it("checks only the entry points the workload uses (malloc and free always)", () => {
    const c = (stdout: string): unknown =>
      classify({ record: record({}), stdout, stderr: "" }, "jemalloc", isJemalloc);
    const elsewhere = entryPoints({ aligned_alloc: "/usr/lib/libc.so.6", calloc: null });
    const withUses = (uses: string[]): string =>
      result.replace(entryPoints(), elsewhere).replace(ALL_USED, JSON.stringify(uses));
    expect(c(withUses(["realloc"]))).toMatchObject({ status: "ok" });
    expect(c(withUses([]))).toMatchObject({ status: "ok" });
    expect(c(withUses(["aligned_alloc"]))).toMatchObject({
      kind: "not-interposed",
      message: "partially interposed: aligned_alloc from /usr/lib/libc.so.6; expected jemalloc",
    });
    expect(c(withUses(["calloc", "memalign"]))).toMatchObject({ kind: "not-interposed" });
  });
});
