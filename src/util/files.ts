/**
 * Reading input files without blocking: a path the user gives (a library, a config or results
 * file, a manifest) may name a FIFO, a device, a socket or a directory. Opening a FIFO for reading
 * blocks until a writer appears (in the event loop for a sync open, where no signal handler can
 * run), and a device may never end. Every input is stat-ed first and must be a regular file; the
 * open itself is non-blocking and the descriptor is checked again, so a path swapped in between
 * cannot block either.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";

const READ_NONBLOCK = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** What a non-regular file is, in words ("a FIFO", "a directory"), or undefined for a regular file. */
export function nonRegularKind(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  return "not a regular file";
}

/** A path that exists but is not a regular file; `reason` is e.g. "is a FIFO (named pipe), not a regular file". */
export class NotRegularFileError extends Error {
  readonly path: string;
  readonly reason: string;
  readonly code = "ENOTREG";
  constructor(file: string, kind: string) {
    const reason = `is ${kind}, not a regular file`;
    super(`${file} ${reason}`);
    this.name = "NotRegularFileError";
    this.path = file;
    this.reason = reason;
  }
}

function check(file: string, st: Stats): void {
  const kind = nonRegularKind(st);
  if (kind !== undefined) throw new NotRegularFileError(file, kind);
}

/** Open a regular file for reading without ever blocking; NotRegularFileError otherwise, fs errors as they are. */
export async function openRegular(file: string): Promise<FileHandle> {
  check(file, await stat(file));
  const handle = await open(file, READ_NONBLOCK);
  try {
    check(file, await handle.stat());
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** openRegular for code that cannot await; returns a descriptor. */
export function openRegularSync(file: string): number {
  check(file, statSync(file));
  const fd = openSync(file, READ_NONBLOCK);
  try {
    check(file, fstatSync(fd));
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** The whole content of a regular file (see openRegular). */
export async function readRegularFile(file: string): Promise<Buffer>;
export async function readRegularFile(file: string, encoding: "utf8"): Promise<string>;
export async function readRegularFile(file: string, encoding?: "utf8"): Promise<Buffer | string> {
  const handle = await openRegular(file);
  try {
    const data = await handle.readFile();
    return encoding ? data.toString(encoding) : data;
  } finally {
    await handle.close();
  }
}

/** Sync readRegularFile. */
export function readRegularFileSync(file: string, encoding: "utf8"): string {
  const fd = openRegularSync(file);
  try {
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks).toString(encoding);
  } finally {
    closeSync(fd);
  }
}

async function readAt(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}

/**
 * A file of child output, bounded: whole when it holds at most `headBytes + tailBytes`, else its
 * first `headBytes` and last `tailBytes` joined by a line saying how much was left out. Memory
 * stays bounded however much the child wrote. A missing file reads as empty.
 */
export async function readBounded(
  file: string,
  headBytes: number,
  tailBytes: number,
): Promise<{ text: string; size: number; omitted: number }> {
  let handle: FileHandle;
  try {
    handle = await openRegular(file);
  } catch {
    return { text: "", size: 0, omitted: 0 };
  }
  try {
    const { size } = await handle.stat();
    if (size <= headBytes + tailBytes) {
      return { text: (await readAt(handle, 0, size)).toString("utf8"), size, omitted: 0 };
    }
    const head = await readAt(handle, 0, headBytes);
    const tail = await readAt(handle, size - tailBytes, tailBytes);
    const omitted = size - headBytes - tailBytes;
    return {
      text: `${head.toString("utf8")}\n[… ${omitted} bytes left out …]\n${tail.toString("utf8")}`,
      size,
      omitted,
    };
  } finally {
    await handle.close();
  }
}

/** Clip a message stored from child output to `max` characters, keeping its end (where the error usually is). */
export function clipEnd(text: string, max = 500): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`;
}
