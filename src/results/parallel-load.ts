/**
 * Loading a large results file on several threads. Parsing and validating the JSON of a
 * 100,000-run file takes this thread seconds, while the other CPUs wait for its numbers (the
 * report's charts need them). Here the file's bytes are read once into memory the threads share
 * and cut between run records (./split-json.ts); this thread parses the first piece while worker
 * threads (./load-worker.ts) parse and validate the others and send their runs back in a compact
 * form (./json-transfer.ts) that this thread rebuilds faster than it could parse them.
 *
 * It is an accelerator: it returns null whenever it is not sure (no compiled worker script, a
 * file too small to gain, no cut found, a piece that is not what it should be, a run the fast
 * validation cannot judge, a worker that fails) and the caller parses the file the ordinary way,
 * which gives the same value, or the same error message.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { open } from "node:fs/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { parseRunRecords, resultsWithRuns } from "./io.js";
import { decodeJson } from "./json-transfer.js";
import type { PieceReply, PieceRequest } from "./load-worker.js";
import type { ResultsFile, RunRecord } from "./schema.js";
import { assemble, findCuts, pieces, runsOfPiece } from "./split-json.js";

/** Files smaller than this are parsed on this thread alone (a worker costs ~0.1 s to start). */
export const PARALLEL_LOAD_MIN_BYTES = 16 * 2 ** 20;
/** At most this many threads parse one file (this one included). */
export const MAX_LOAD_THREADS = 4;
/**
 * This thread's share of the file against each worker's: it rebuilds the workers' runs after
 * parsing its own, so it takes a smaller piece.
 */
const OWN_SHARE = 0.8;

const WORKER_SCRIPT = new URL("./load-worker.js", import.meta.url);

/** Whether this build can load in parallel (the compiled worker script exists). */
export function parallelLoadAvailable(): boolean {
  return (
    process.env["MALLOCBENCH_SERIAL_LOAD"] === undefined &&
    os.availableParallelism() > 1 &&
    existsSync(fileURLToPath(WORKER_SCRIPT))
  );
}

/** A file's bytes, in memory that worker threads can read too. */
export async function readShared(file: string): Promise<Uint8Array> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const bytes = new Uint8Array(new SharedArrayBuffer(size));
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await handle.read(bytes, offset, size - offset, offset);
      if (bytesRead === 0) break; // the file shrank meanwhile: parse what was read
      offset += bytesRead;
    }
    return offset === size ? bytes : bytes.subarray(0, offset);
  } finally {
    await handle.close();
  }
}

/** A piece handed to a parser: its reply, and how to stop it if the reply is no longer wanted. */
export type PieceParser = (request: PieceRequest) => { reply: Promise<PieceReply>; stop: () => void };

/** Each piece on a worker thread of its own. */
const askWorker: PieceParser = (request) => {
  let worker: Worker | null = null;
  const reply = new Promise<PieceReply>((resolve) => {
    try {
      worker = new Worker(WORKER_SCRIPT);
    } catch (error) {
      resolve({ ok: false, reason: `no worker: ${(error as Error).message}` });
      return;
    }
    worker.once("message", resolve);
    worker.once("error", (error) => resolve({ ok: false, reason: error.message }));
    worker.once("exit", (code) => resolve({ ok: false, reason: `worker exited (${code})` }));
    worker.postMessage(request);
  });
  return {
    reply,
    stop: () => {
      void (worker as Worker | null)?.terminate();
    },
  };
};

/**
 * The results file in `bytes` (a whole file, read by {@link readShared}), parsed on `threads`
 * threads; null if that cannot be done with certainty (then parse it the ordinary way).
 */
export async function parseInParallel(
  bytes: Uint8Array,
  threads = Math.min(MAX_LOAD_THREADS, os.availableParallelism()),
  parsePiece: PieceParser = askWorker,
): Promise<ResultsFile | null> {
  if (threads < 2 || !(bytes.buffer instanceof SharedArrayBuffer)) return null;
  const cuts = findCuts(bytes, threads, [OWN_SHARE, ...Array<number>(threads - 1).fill(1)]);
  if (!cuts) return null;
  const parts = pieces(bytes.length, cuts);
  const asks = parts.slice(1).map((p, i) =>
    parsePiece({
      bytes: bytes.buffer as SharedArrayBuffer,
      from: bytes.byteOffset + p.from,
      to: bytes.byteOffset + p.to,
      prefix: p.prefix,
      suffix: p.suffix,
      position: i === parts.length - 2 ? "last" : "middle",
    }),
  );
  const stopAll = (): null => {
    for (const ask of asks) ask.stop();
    return null;
  };
  const first = parts[0] as (typeof parts)[number];
  let head: unknown;
  try {
    head = JSON.parse(
      Buffer.from(bytes.buffer, bytes.byteOffset + first.from, first.to - first.from).toString(
        "utf8",
      ) + first.suffix,
    );
  } catch {
    return stopAll();
  }
  const headRuns = runsOfPiece(head, "head");
  const ownRuns = headRuns ? parseRunRecords(headRuns) : null;
  if (!ownRuns) return stopAll();
  const replies = await Promise.all(asks.map((a) => a.reply));
  const runs: RunRecord[] = ownRuns;
  let rest: Record<string, unknown> | null = null;
  for (const reply of replies) {
    if (!reply.ok) return stopAll();
    const decoded = decodeJson(reply.runs) as RunRecord[];
    for (const run of decoded) runs.push(run);
    rest = reply.rest ?? rest;
  }
  if (!rest) return null;
  const whole = assemble(head as Record<string, unknown>, rest, []);
  return whole ? (resultsWithRuns(whole, runs) ?? null) : null;
}
