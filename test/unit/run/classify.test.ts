import { describe, expect, it } from "vitest";
import type { LauncherRecord } from "../../../src/measure/launcher.js";
import { launcherRecord } from "../../helpers/records.js";
import { classify, parseResultLine } from "../../../src/run/classify.js";

const record = launcherRecord;

const result =
  '@result {"ops":10,"seconds":0.01,"allocator":"/usr/lib/libjemalloc.so.2","checksum":"0x1"}\n';
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
    expect(c({}, result.replace("libjemalloc", "libc"))).toMatchObject({ kind: "not-interposed" });
    expect(c({ status: "interrupted" })).toEqual({ status: "interrupted" });
  });
});
