/** Reading a FIFO, made with mkfifo(1): refused at once, without blocking on a writer. */
import { execFileSync } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  NotRegularFileError,
  openRegularSync,
  readRegularFile,
  readRegularFileSync,
} from "../../../src/util/files.js";

describe("reading input files", () => {
  it("refuses a FIFO without blocking, naming what it is", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "mallocbench-files-"));
    const fifo = path.join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const message = /is a FIFO \(named pipe\), not a regular file$/;
    await expect(readRegularFile(fifo, "utf8")).rejects.toThrow(message);
    await expect(readRegularFile(fifo)).rejects.toBeInstanceOf(NotRegularFileError);
    expect(() => readRegularFileSync(fifo, "utf8")).toThrow(message);
    expect(() => openRegularSync(fifo)).toThrow(NotRegularFileError);
  });
});
