import { execFileSync } from "node:child_process";
import { cp, mkdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bench, errorLines, FIXTURE_WORKLOADS, tempDir } from "../helpers/cli.js";

// Every file bench reads may be a FIFO, a socket, a device or a directory. Opening a FIFO blocks
// until a writer comes, so each must be refused before it is opened: exit 2 and one line, promptly
// (bench's own execa has no timeout here: a hang fails the test by the test timeout).

async function specials(): Promise<{ dir: string; fifo: string; socket: string }> {
  const dir = await tempDir();
  const fifo = path.join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  const socket = path.join(dir, "socket");
  await new Promise<void>((resolve) => createServer().listen(socket, resolve).unref());
  return { dir, fifo, socket };
}

async function refuses(args: string[], message: RegExp, cwd?: string): Promise<void> {
  const dir = await tempDir();
  const r = await bench(args, {
    env: { MALLOCBENCH_LOCK: path.join(dir, "lock") },
    ...(cwd ? { cwd } : {}),
  });
  const lines = errorLines(String(r.stderr));
  expect(r.exitCode, String(r.all)).toBe(2);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
}

describe("inputs that are not regular files", () => {
  it("an allocator library that is a FIFO, a socket, a directory or a device", async () => {
    const { dir, fifo, socket } = await specials();
    for (const lib of [fifo, socket, dir, "/dev/zero"]) {
      await refuses(
        ["run", "-w", "larson", "-a", "mine", "--allocator", `mine=${lib}`, "-n", "1"],
        /allocator mine: .*(not a regular file|is a directory)/,
      );
    }
  }, 120_000);

  it("a config file, explicit or ./bench.config.json, that is a FIFO", async () => {
    const { dir, fifo } = await specials();
    await refuses(["run", "--config", fifo], /^bench: --config: .* is a FIFO/);
    const cwd = path.join(dir, "cwd");
    await mkdir(cwd);
    execFileSync("mkfifo", [path.join(cwd, "bench.config.json")]);
    await refuses(["list", "allocators"], /^bench: config file: .* is a FIFO/, cwd);
    await refuses(["run", "--config", dir], /is a directory, not a regular file/);
  }, 120_000);

  it("results files given to compare, check, report, export, merge, baseline save and --resume", async () => {
    const { dir, fifo, socket } = await specials();
    const out = path.join(dir, "out");
    for (const file of [fifo, socket, "/dev/null"]) {
      const what = /is a (FIFO|socket|character device)|not a regular file/;
      await refuses(["compare", file], what);
      await refuses(["check", file, "--baseline", file], what);
      await refuses(["report", file, "-o", out, "--format", "md"], what);
      await refuses(["export", file], what);
      await refuses(["merge", file, file, "-o", path.join(out, "m.json")], what);
      await refuses(["baseline", "save", file, "--dir", out], what);
      await refuses(["run", "--resume", file], what);
    }
  }, 300_000);

  it("a workload manifest or source that is a FIFO", async () => {
    const { dir } = await specials();
    const root = path.join(dir, "workloads");
    await cp(path.join(FIXTURE_WORKLOADS, "ok-tiny"), path.join(root, "ok-tiny"), {
      recursive: true,
    });
    await rm(path.join(root, "ok-tiny", "ok-tiny.c"));
    execFileSync("mkfifo", [path.join(root, "ok-tiny", "ok-tiny.c")]);
    await refuses(
      ["run", "-q", "--workload-dir", root, "-w", "ok-tiny", "-a", "glibc", "-n", "1"],
      /workload source .*ok-tiny\.c is a FIFO/,
    );
    await rm(path.join(root, "ok-tiny", "workload.json"));
    execFileSync("mkfifo", [path.join(root, "ok-tiny", "workload.json")]);
    await refuses(
      ["run", "-q", "--workload-dir", root, "-w", "ok-tiny", "-a", "glibc", "-n", "1"],
      /workload\.json is a FIFO/,
    );
  }, 120_000);
});
