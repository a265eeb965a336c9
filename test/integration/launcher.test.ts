import { execa } from "execa";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LauncherRecord } from "../../src/measure/launcher.js";

const here = dirname(fileURLToPath(import.meta.url));
const launcherSource = resolve(here, "../../src/native/launcher.c");
const MiB = 1024 * 1024;

const fixtures: Record<string, string> = {
  alloc64: `
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
int main(void) {
  size_t n = (size_t)64 << 20;
  char *p = malloc(n);
  if (!p) return 1;
  memset(p, 1, n);
  volatile unsigned long sum = 0;
  for (size_t i = 0; i < n; i += 4096) sum += (unsigned char)p[i];
  struct timespec ts = {0, 200 * 1000 * 1000};
  while (nanosleep(&ts, &ts) != 0) {}
  printf("%lu\\n", (unsigned long)sum);
  return 0;
}
`,
  exit3: `int main(void) { return 3; }\n`,
  segv: `
#include <signal.h>
int main(void) { raise(SIGSEGV); return 0; }
`,
  forever: `
#include <stdio.h>
#include <unistd.h>
int main(void) {
  pid_t g = fork();
  if (g == 0) { for (;;) pause(); }
  printf("%ld\\n", (long)g);
  fflush(stdout);
  for (;;) pause();
}
`,
  probe: `
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *v = getenv(argv[i]);
    printf("%s=%s\\n", argv[i], v ? v : "(unset)");
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  printf("cpus=%d\\n", CPU_COUNT(&set));
  return 0;
}
`,
  channel: `
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(void) {
  const char *v = getenv("MALLOCBENCH_RESULT_FD");
  printf("fd=%s\\n", v ? v : "(unset)");
  if (v) {
    int fd = atoi(v);
    printf("cloexec=%d\\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    if (write(fd, "record\\n", 7) != 7) return 1;
  }
  return 0;
}
`,
  fds: `
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
int main(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return 1;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d)) continue;
    printf("%s\\n", e->d_name);
  }
  return 0;
}
`,
  daemon: `
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 2) return 2;
  if (fork() == 0) {
    setsid(); /* out of the run's process group */
    if (fork() == 0) {
      FILE *f = fopen(argv[1], "w");
      fprintf(f, "%ld\\n", (long)getpid());
      fclose(f);
      for (;;) pause();
    }
    _exit(0);
  }
  while (access(argv[1], F_OK) != 0) usleep(1000);
  return 0;
}
`,
  spew: `
#include <string.h>
#include <unistd.h>
int main(void) {
  static char b[65536];
  memset(b, 'y', sizeof b);
  for (;;) if (write(1, b, sizeof b) < 0) return 9;
}
`,
};

const preloadSource = `
#include <unistd.h>
__attribute__((constructor)) static void announce(void) {
  static const char msg[] = "PRELOADED\\n";
  (void)!write(2, msg, sizeof(msg) - 1);
}
`;

let dir = "";
let launcher = "";
const bin = (name: string): string => join(dir, name);

async function run(args: string[]): Promise<LauncherRecord> {
  const r = await execa(launcher, args, { reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  const lines = r.stdout.split("\n").filter((l) => l.length > 0);
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? "") as LauncherRecord;
}

/** A pid is gone when kill(pid, 0) fails with ESRCH (or, transiently, it is an unreaped zombie). */
function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return true;
    throw e;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state === "Z" || state === "X";
  } catch {
    return true;
  }
}

async function expectGone(pid: number): Promise<void> {
  for (let i = 0; i < 50 && !processGone(pid); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(processGone(pid)).toBe(true);
}

async function readPid(file: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const text = await readFile(file, "utf8").catch(() => "");
    const pid = Number.parseInt(text.trim(), 10);
    if (Number.isInteger(pid) && pid > 0) return pid;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no pid written to ${file}`);
}

/** CPU 0 normally; the first CPU we may run on when the test itself is restricted. */
function firstAllowedCpu(): string {
  const status = readFileSync("/proc/self/status", "utf8");
  const list = /^Cpus_allowed_list:\s*(\d+)/m.exec(status);
  return list?.[1] ?? "0";
}

function expectSaneWall(rec: LauncherRecord): void {
  expect(rec.wallSeconds).not.toBeNull();
  expect(rec.wallSeconds ?? 0).toBeGreaterThan(0);
  expect(rec.wallSeconds ?? 0).toBeLessThan(60);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "launcher-test-"));
  launcher = bin("launcher");
  await execa("cc", [
    "-O2",
    "-std=gnu11",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-o",
    launcher,
    launcherSource,
  ]);
  await Promise.all(
    Object.entries(fixtures).map(async ([name, src]) => {
      const file = bin(`${name}.c`);
      await writeFile(file, src);
      await execa("cc", ["-O2", "-std=gnu11", "-o", bin(name), file]);
    }),
  );
  await writeFile(bin("preload.c"), preloadSource);
  await execa("cc", ["-O2", "-shared", "-fPIC", "-o", bin("preload.so"), bin("preload.c")]);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("launcher", () => {
  it("prints version JSON", async () => {
    const r = await execa(launcher, ["--version"]);
    expect(JSON.parse(r.stdout)).toMatchObject({ launcher: 1 });
  });

  it("reports the exit code and rusage", async () => {
    const rec = await run(["--", bin("exit3")]);
    expect(rec.launcher).toBe(1);
    expect(rec.status).toBe("exited");
    expect(rec.exitCode).toBe(3);
    expect(rec.signal).toBeNull();
    expect(rec.signalName).toBeNull();
    expect(rec.error).toBeNull();
    expectSaneWall(rec);
    expect(rec.maxRssBytes ?? 0).toBeGreaterThan(0);
    expect(rec.userSeconds).not.toBeNull();
    expect(rec.sysSeconds).not.toBeNull();
    expect(rec.minorFaults).not.toBeNull();
    expect(rec.cpus).toBeNull();
    expect(rec.timeoutMs).toBe(0);
  });

  it("reports the signal name", async () => {
    const rec = await run(["--", bin("segv")]);
    expect(rec.status).toBe("signaled");
    expect(rec.exitCode).toBeNull();
    expect(rec.signal).toBe(11);
    expect(rec.signalName).toBe("SIGSEGV");
    expectSaneWall(rec);
  });

  it("reports spawn-failed for a missing program", async () => {
    const missing = bin("does-not-exist");
    const rec = await run(["--", missing]);
    expect(rec.status).toBe("spawn-failed");
    expect(rec.exitCode).toBeNull();
    expect(rec.error).toBe(`execvp ${missing}: No such file or directory`);
  });

  it("measures max RSS and an RSS timeline of a 64 MiB program", async () => {
    const rec = await run(["--", bin("alloc64")]);
    expect(rec.status).toBe("exited");
    expect(rec.exitCode).toBe(0);
    expect(rec.maxRssBytes ?? 0).toBeGreaterThanOrEqual(64 * MiB);
    const samples = rec.rssTimeline.samples;
    expect(samples.length).toBeGreaterThanOrEqual(3);
    const max = Math.max(...samples.map(([, bytes]) => bytes));
    expect(max).toBeGreaterThanOrEqual(60 * MiB);
    expect(rec.rssTimeline.maxSampledBytes).toBe(max);
    expect(rec.rssTimeline.intervalMs).toBe(10);
    for (let i = 1; i < samples.length; i++) {
      expect(samples[i]?.[0] ?? 0).toBeGreaterThan(samples[i - 1]?.[0] ?? 0);
    }
  });

  it("bounds the RSS timeline by decimating", async () => {
    const rec = await run([
      "--rss-interval-ms",
      "1",
      "--rss-max-samples",
      "16",
      "--",
      bin("alloc64"),
    ]);
    expect(rec.status).toBe("exited");
    expect(rec.rssTimeline.samples.length).toBeLessThanOrEqual(16);
    expect(rec.rssTimeline.samples.length).toBeGreaterThan(0);
    expect(rec.rssTimeline.decimations).toBeGreaterThan(0);
    expect(rec.rssTimeline.intervalMs).toBe(2 ** rec.rssTimeline.decimations);
  });

  it("turns RSS sampling off with interval 0", async () => {
    const rec = await run(["--rss-interval-ms", "0", "--", bin("exit3")]);
    expect(rec.rssTimeline.samples).toEqual([]);
    expect(rec.rssTimeline.maxSampledBytes).toBeNull();
  });

  it("on timeout kills the whole process group", async () => {
    const out = bin("forever.out");
    const rec = await run(["--timeout-ms", "300", "--stdout", out, "--", bin("forever")]);
    expect(rec.status).toBe("timeout");
    expect(rec.timeoutMs).toBe(300);
    expect(rec.signalName).toBe("SIGKILL");
    expectSaneWall(rec);
    expect(rec.wallSeconds ?? 0).toBeGreaterThanOrEqual(0.29);
    expect(rec.maxRssBytes).not.toBeNull();
    const grandchild = await readPid(out);
    await expectGone(grandchild);
  });

  it("kills the group and reports 'interrupted' when the launcher gets SIGTERM", async () => {
    const out = bin("interrupted.out");
    const sub = execa(launcher, ["--stdout", out, "--", bin("forever")], { reject: false });
    const grandchild = await readPid(out);
    sub.kill("SIGTERM");
    const r = await sub;
    expect(r.exitCode).toBe(0);
    const rec = JSON.parse(r.stdout) as LauncherRecord;
    expect(rec.status).toBe("interrupted");
    expectSaneWall(rec);
    await expectGone(grandchild);
  });

  it("sets and unsets environment variables in the child only", async () => {
    const out = bin("env.out");
    const err = bin("env.err");
    const r = await execa(
      launcher,
      [
        "--setenv",
        "MB_SET=hello world",
        "--setenv",
        `LD_PRELOAD=${bin("preload.so")}`,
        "--unsetenv",
        "MB_REMOVED",
        "--stdout",
        out,
        "--stderr",
        err,
        "--",
        bin("probe"),
        "MB_SET",
        "MB_REMOVED",
        "MB_KEPT",
      ],
      { reject: false, env: { MB_REMOVED: "x", MB_KEPT: "kept" } },
    );
    expect(r.exitCode).toBe(0);
    // The launcher itself was not preloaded: nothing on its own stderr.
    expect(r.stderr).toBe("");
    const rec = JSON.parse(r.stdout) as LauncherRecord;
    expect(rec.status).toBe("exited");
    expect(rec.exitCode).toBe(0);
    const text = await readFile(out, "utf8");
    expect(text).toContain("MB_SET=hello world\n");
    expect(text).toContain("MB_REMOVED=(unset)\n");
    expect(text).toContain("MB_KEPT=kept\n");
    expect(await readFile(err, "utf8")).toContain("PRELOADED");
  });

  it("opens the result channel on a descriptor named only in the child's environment", async () => {
    const out = bin("channel.out");
    const result = bin("channel.result");
    const rec = await run([
      "--setenv",
      "MALLOCBENCH_RESULT_FD=1",
      "--result-file",
      result,
      "--stdout",
      out,
      "--",
      bin("channel"),
    ]);
    expect(rec.status).toBe("exited");
    expect(rec.exitCode).toBe(0);
    const text = await readFile(out, "utf8");
    // Not stdout (a --setenv cannot point it there), open across exec.
    expect(text).toMatch(/^fd=([3-9]|[1-9]\d+)\ncloexec=0\n$/);
    expect(await readFile(result, "utf8")).toBe("record\n");
    // Without --result-file a stray variable never reaches the child.
    const r = await execa(launcher, ["--stdout", out, "--", bin("channel")], {
      reject: false,
      env: { MALLOCBENCH_RESULT_FD: "1" },
    });
    expect(r.exitCode).toBe(0);
    expect(await readFile(out, "utf8")).toBe("fd=(unset)\n");
  });

  it("passes the program only 0-2 and the result channel, not what the launcher inherited", async () => {
    const out = bin("fds.out");
    // Extra pipes on 3..5 without close-on-exec, as a parent's leaked descriptors would be.
    const r = await execa(
      launcher,
      ["--result-file", bin("fds.result"), "--stdout", out, "--", bin("fds")],
      { reject: false, stdio: ["ignore", "pipe", "pipe", "pipe", "pipe", "pipe"] },
    );
    expect(r.exitCode).toBe(0);
    const rec = JSON.parse(String(r.stdout)) as LauncherRecord;
    expect(rec.status).toBe("exited");
    expect(rec.exitCode).toBe(0);
    const fds = (await readFile(out, "utf8")).trim().split("\n").map(Number);
    expect(fds.slice(0, 3)).toEqual([0, 1, 2]);
    // Exactly one more: the channel (its number is not fixed).
    expect(fds).toHaveLength(4);
    const leaked = await run(["--stdout", out, "--", bin("fds")]);
    expect(leaked.exitCode).toBe(0);
    expect((await readFile(out, "utf8")).trim().split("\n")).toEqual(["0", "1", "2"]);
  });

  it("kills what the program left running outside its process group (a daemon that called setsid)", async () => {
    const pidFile = bin("daemon.pid");
    const rec = await run(["--", bin("daemon"), pidFile]);
    expect(rec.status).toBe("exited");
    expect(rec.exitCode).toBe(0);
    await expectGone(await readPid(pidFile));
  });

  it("bounds the files the program writes with --max-file-bytes: SIGXFSZ, the file at the limit", async () => {
    const out = bin("spew.out");
    // --timeout-ms 0: nothing but the limit stops it.
    const rec = await run(["--max-file-bytes", String(MiB), "--stdout", out, "--", bin("spew")]);
    expect(rec.status).toBe("signaled");
    expect(rec.signalName).toBe("SIGXFSZ");
    expect((await stat(out)).size).toBe(MiB);
  });

  it("pins the child with --cpus", async () => {
    const out = bin("cpus.out");
    const cpu = firstAllowedCpu();
    const rec = await run(["--cpus", cpu, "--stdout", out, "--", bin("probe")]);
    expect(rec.status).toBe("exited");
    expect(rec.cpus).toBe(cpu);
    expect(await readFile(out, "utf8")).toContain("cpus=1\n");
  });

  it("reports perf counters or why they are unavailable", async () => {
    const rec = await run(["--", bin("alloc64")]);
    const perf = rec.perf;
    expect(typeof perf.available).toBe("boolean");
    if (perf.available) {
      expect(perf.events.taskClockNs ?? 0).toBeGreaterThan(0);
      expect(typeof perf.scaled).toBe("boolean");
      for (const [name, value] of Object.entries(perf.events)) {
        if (value === null) expect(typeof perf.unavailable[name]).toBe("string");
        else expect(Number.isInteger(value)).toBe(true);
      }
    } else {
      expect(typeof perf.reason).toBe("string");
      expect(perf.reason.length).toBeGreaterThan(0);
    }

    const off = await run(["--no-perf", "--", bin("exit3")]);
    expect(off.perf.available).toBe(false);
  });

  it.each([
    [["--timeout-ms", "abc", "--", "/bin/true"]],
    [["--rss-max-samples", "1", "--", "/bin/true"]],
    [["--cpus", "1-0", "--", "/bin/true"]],
    [["--setenv", "NOEQUALS", "--", "/bin/true"]],
    [["--bogus", "--", "/bin/true"]],
    [["--timeout-ms", "10"]],
    [["--max-file-bytes", "-1", "--", "/bin/true"]],
  ])("rejects bad usage %j with exit 2", async (args) => {
    const r = await execa(launcher, args, { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr.length).toBeGreaterThan(0);
  });
});

describe("launch", () => {
  it("an interruption before the launcher can report is InterruptedError, not an internal error", async () => {
    const { launch } = await import("../../src/measure/launcher.js");
    const { InterruptedError } = await import("../../src/util/exec.js");
    // A stand-in launcher that dies of the SIGTERM before writing a record, as the real one does
    // when the signal lands before its handler is installed.
    const silent = join(dir, "silent-launcher");
    await writeFile(silent, "#!/bin/sh\nexec sleep 30\n", { mode: 0o755 });
    const controller = new AbortController();
    const outcome = launch({
      launcher: silent,
      program: "/bin/true",
      args: [],
      setEnv: {},
      unsetEnv: [],
      timeoutMs: 0,
      rssIntervalMs: 0,
      cpus: null,
      resultChannel: true,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort("SIGINT"), 200);
    await expect(outcome).rejects.toBeInstanceOf(InterruptedError);
  });
});
