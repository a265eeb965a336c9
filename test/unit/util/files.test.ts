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

// A FIFO needs mkfifo(1) (Node cannot make one): test/integration/util/files.test.ts.
async function fixtures(): Promise<{ dir: string; socket: string; close: () => void }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-files-"));
  const socket = path.join(dir, "socket");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { dir, socket, close: () => server.close() };
}

describe("reading input files", () => {
  it("refuses a socket, a directory and a device without blocking, naming what it is", async () => {
    const { dir, socket, close } = await fixtures();
    const cases: [string, RegExp][] = [
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
    close();
  });

  it("reads a regular file whole", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-files-"));
    const file = path.join(dir, "f.txt");
    await writeFile(file, "hello\n");
    expect(await readRegularFile(file, "utf8")).toBe("hello\n");
    expect(readRegularFileSync(file, "utf8")).toBe("hello\n");
  });

  it("readBounded keeps the head and the tail of a large file and says how much it left out", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-files-"));
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
