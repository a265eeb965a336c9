import { stat } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { benchRun, FIXTURE_WORKLOADS, ROOT } from "../helpers/cli.js";

// A child that floods its output must not push the harness's memory up nor land in the results:
// the flood fixture writes 100 MiB to stderr as one line or many, or to stdout before its result.
// (Node's own peak memory is measured by hand, see docs/reliability.md, not asserted here.)
describe("output floods", () => {
  it("100 MiB on stderr (one line, many lines) and on stdout: bounded messages, small results, the result still found", async () => {
    const run = await benchRun([
      "--workload-dir",
      FIXTURE_WORKLOADS,
      "-w",
      "flood",
      "-a",
      "glibc",
      "-t",
      "1",
      "-n",
      "1",
      "--warmup",
      "0",
      "--param",
      "mode=0,1,2",
    ]);
    expect(run.exitCode).toBe(1); // two runs failed, as the fixture says
    const byMode = new Map(run.results.runs.map((r) => [r.params?.["mode"], r]));
    for (const mode of ["0", "1"]) {
      const r = byMode.get(mode);
      expect(r?.status).toBe("failed");
      if (r?.status !== "failed") continue;
      expect(r.failure.kind).toBe("exit");
      expect(r.failure.message.length).toBeLessThanOrEqual(1000);
      expect(r.stderrTail.length).toBeLessThanOrEqual(2001);
    }
    const one = byMode.get("0");
    if (one?.status === "failed") expect(one.failure.message).toMatch(/exited with code 1: …x+$/);
    const many = byMode.get("1");
    if (many?.status === "failed")
      expect(many.failure.message).toBe("exited with code 1: flood: the last line");
    expect(byMode.get("2")?.status).toBe("ok");
    expect((await stat(run.out)).size).toBeLessThan(200_000);
    expect((await stat(`${run.out}.journal`)).size).toBeLessThan(200_000);
  }, 300_000);

  it("a child writing past the file-size limit is stopped (SIGXFSZ) and recorded as output-limit", async () => {
    const run = await benchRun(
      [
        "--workload-dir",
        FIXTURE_WORKLOADS,
        "-w",
        "flood",
        "-a",
        "glibc",
        "-t",
        "1",
        "-n",
        "1",
        "--warmup",
        "0",
        "--timeout",
        "0",
        "--param",
        "mb=8",
        "--param",
        "mode=1,2",
      ],
      { env: { MALLOCBENCH_MAX_FILE_BYTES: String(1 << 20) } },
    );
    expect(run.exitCode).toBe(1);
    const flood = run.results.runs.filter((r) => r.workload === "flood");
    expect(flood).toHaveLength(2);
    for (const r of flood) {
      expect(r.status).toBe("failed");
      if (r.status !== "failed") continue;
      expect(r.failure.kind).toBe("output-limit");
      expect(r.failure.message).toMatch(/SIGXFSZ.*limit of 1 MiB/);
    }
  }, 300_000);
  it("an external program writing past the file-size limit is recorded as output-limit too", async () => {
    const run = await benchRun(
      [
        "--workload-dir",
        path.join(ROOT, "test", "fixtures", "program-flood"),
        "-w",
        "zeros",
        "-a",
        "glibc",
        "-t",
        "1",
        "-n",
        "1",
        "--warmup",
        "0",
        "--quick",
      ],
      { env: { MALLOCBENCH_MAX_FILE_BYTES: String(1 << 20) } },
    );
    expect(run.exitCode, run.all).toBe(1);
    const [r] = run.results.runs.filter((x) => x.workload === "zeros");
    expect(r?.status).toBe("failed");
    if (r?.status !== "failed") return;
    expect(r.failure.kind).toBe("output-limit");
    expect(r.failure.message).toMatch(/head stopped by SIGXFSZ.*limit of 1 MiB/);
  }, 300_000);
});
