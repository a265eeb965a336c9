import { describe, expect, it } from "vitest";
import {
  classifyProbe,
  firstStderrLine,
  parseMarkers,
  type ProbeEnd,
} from "../../../src/hardening/verdict.js";

const LIB = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
const matches = (id: string): boolean => id === LIB;
const expected = LIB;

const exited = (code: number): ProbeEnd => ({
  status: "exited",
  exitCode: code,
  signalName: null,
  error: null,
  timeoutMs: 1000,
});
const killed = (signalName: string): ProbeEnd => ({
  status: "signaled",
  exitCode: null,
  signalName,
  error: null,
  timeoutMs: 1000,
});
const timedOut: ProbeEnd = {
  status: "timeout",
  exitCode: null,
  signalName: "SIGKILL",
  error: "timed out after 1000 ms",
  timeoutMs: 1000,
};

const identity = `@malloc ${LIB}\n`;
const armed = `${identity}@armed double-free\n`;
const survived = `${armed}@not-detected\n`;

describe("parseMarkers", () => {
  it("reads the identity, the armed marker and the end marker", () => {
    expect(parseMarkers(survived)).toEqual({ identity: LIB, armed: true, survived: true });
    expect(parseMarkers(identity)).toEqual({ identity: LIB, armed: false, survived: false });
    expect(parseMarkers("")).toEqual({ identity: null, armed: false, survived: false });
  });

  it("keeps the first identity line and ignores look-alike lines", () => {
    const m = parseMarkers(`@malloc /a\n@malloc /b\n@armedx\n@not-detected-later\n`);
    expect(m).toEqual({ identity: "/a", armed: false, survived: false });
  });
});

describe("firstStderrLine", () => {
  it("takes the first non-empty line, trimmed", () => {
    expect(firstStderrLine("\n  free(): invalid pointer  \nAborted\n")).toBe(
      "free(): invalid pointer",
    );
    expect(firstStderrLine("")).toBe("");
  });

  it("cuts long lines to the limit", () => {
    const cut = firstStderrLine("x".repeat(500));
    expect(cut.length).toBe(200);
    expect(cut.endsWith("…")).toBe(true);
    expect(firstStderrLine("y".repeat(200))).toBe("y".repeat(200));
  });
});

describe("classifyProbe", () => {
  it("a signal after the misuse is a detection, with what the allocator said", () => {
    const v = classifyProbe(
      killed("SIGABRT"),
      armed,
      "free(): double free detected in tcache 2\n",
      expected,
      matches,
    );
    expect(v).toEqual({
      outcome: "detected",
      reason: "killed by SIGABRT after the misuse",
      identity: LIB,
      stderr: "free(): double free detected in tcache 2",
    });
  });

  it("an error exit after the misuse is a detection too", () => {
    const v = classifyProbe(exited(1), armed, "", expected, matches);
    expect(v.outcome).toBe("detected");
    expect(v.reason).toBe("exited with code 1 after the misuse");
  });

  it("reaching the end marker is not-detected, even when the allocator warned", () => {
    const v = classifyProbe(
      exited(0),
      survived,
      "mimalloc: error: double free\n",
      expected,
      matches,
    );
    expect(v.outcome).toBe("not-detected");
    expect(v.stderr).toBe("mimalloc: error: double free");
  });

  it("a crash before the armed marker is an error, not a detection", () => {
    const v = classifyProbe(killed("SIGSEGV"), identity, "", expected, matches);
    expect(v.outcome).toBe("error");
    expect(v.reason).toBe("killed by SIGSEGV before the misuse");
  });

  it("a crash before the identity line is an error", () => {
    const v = classifyProbe(exited(127), "", "cannot open shared object\n", expected, matches);
    expect(v.outcome).toBe("error");
    expect(v.reason).toBe("exited with code 127 before reporting which malloc it uses");
    expect(v.identity).toBeNull();
  });

  it("a probe whose malloc is not the allocator's is an error whatever happened after", () => {
    const other = `@malloc /usr/lib/x86_64-linux-gnu/libc.so.6\n@armed double-free\n`;
    const v = classifyProbe(killed("SIGABRT"), other, "", expected, matches);
    expect(v.outcome).toBe("error");
    expect(v.reason).toBe(
      `allocator not interposed: malloc came from /usr/lib/x86_64-linux-gnu/libc.so.6, expected ${LIB}`,
    );
  });

  it("a timeout says whether it happened after the misuse", () => {
    expect(classifyProbe(timedOut, armed, "", expected, matches)).toMatchObject({
      outcome: "timeout",
      reason: "killed after the 1000 ms timeout after the misuse",
    });
    expect(classifyProbe(timedOut, identity, "", expected, matches).reason).toBe(
      "killed after the 1000 ms timeout before the misuse",
    );
  });

  it("exit 0 without the end marker is an error", () => {
    expect(classifyProbe(exited(0), armed, "", expected, matches).outcome).toBe("error");
  });

  it("spawn failures are errors and interruptions are passed on", () => {
    const spawn: ProbeEnd = { ...exited(0), status: "spawn-failed", error: "execvp x: ENOENT" };
    expect(classifyProbe(spawn, "", "", expected, matches)).toMatchObject({
      outcome: "error",
      reason: "could not start: execvp x: ENOENT",
    });
    const interrupted: ProbeEnd = { ...timedOut, status: "interrupted" };
    expect(classifyProbe(interrupted, armed, "", expected, matches).outcome).toBe("interrupted");
  });
});
