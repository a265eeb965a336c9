import { execFileSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  clipEnd,
  NotRegularFileError,
  openRegularSync,
  readBounded,
  readRegularFile,
  readRegularFileSync,
} from "../../../src/util/files.js";

async function fixtures(): Promise<{ dir: string; fifo: string; socket: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-files-"));
  const fifo = path.join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  const socket = path.join(dir, "socket");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { dir, fifo, socket };
}

describe("reading input files", () => {
  it("refuses a FIFO, a socket, a directory and a device without blocking, naming what it is", async () => {
    const { dir, fifo, socket } = await fixtures();
    const cases: [string, RegExp][] = [
      [fifo, /is a FIFO \(named pipe\), not a regular file$/],
      [socket, /is a socket, not a regular file$/],
      [dir, /is a directory, not a regular file$/],
      ["/dev/null", /is a character device, not a regular file$/],
    ];
    for (const [file, message] of cases) {
      await expect(readRegularFile(file, "utf8")).rejects.toThrow(message);
      await expect(readRegularFile(file)).rejects.toBeInstanceOf(NotRegularFileError);
      expect(() => readRegularFileSync(file, "utf8")).toThrow(message);
      expect(() => openRegularSync(file)).toThrow(NotRegularFileError);
    }
  });

  it("reads a regular file whole", async () => {
    const { dir } = await fixtures();
    const file = path.join(dir, "f.txt");
    await writeFile(file, "hello\n");
    expect(await readRegularFile(file, "utf8")).toBe("hello\n");
    expect(readRegularFileSync(file, "utf8")).toBe("hello\n");
  });

  it("readBounded keeps the head and the tail of a large file and says how much it left out", async () => {
    const { dir } = await fixtures();
    const file = path.join(dir, "big");
    await writeFile(file, `HEAD${"x".repeat(1_000_000)}TAIL`);
    const r = await readBounded(file, 100, 200);
    expect(r.size).toBe(1_000_008);
    expect(r.omitted).toBe(1_000_008 - 300);
    expect(r.text.startsWith("HEAD")).toBe(true);
    expect(r.text.endsWith("TAIL")).toBe(true);
    expect(r.text).toContain(`[… ${1_000_008 - 300} bytes left out …]`);
    expect(r.text.length).toBeLessThan(400);
    const small = path.join(dir, "small");
    await writeFile(small, "abc");
    expect(await readBounded(small, 100, 200)).toEqual({ text: "abc", size: 3, omitted: 0 });
    expect(await readBounded(path.join(dir, "missing"), 1, 1)).toEqual({
      text: "",
      size: 0,
      omitted: 0,
    });
  });

  it("clipEnd keeps the end of a long message", () => {
    expect(clipEnd("short", 10)).toBe("short");
    const clipped = clipEnd("a".repeat(100) + "END", 10);
    expect(clipped).toHaveLength(10);
    expect(clipped.endsWith("END")).toBe(true);
  });
});
