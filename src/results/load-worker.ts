/**
 * Worker thread of {@link ./parallel-load.ts}: parses one piece of a large results file (its
 * bytes in memory shared with the main thread), validates its run records with the same fast
 * parser the main thread uses, and sends them back encoded by {@link encodeJson}, which the
 * main thread rebuilds in a fraction of the time a structured clone or a second parse would take.
 * One piece per worker; the worker ends after its reply.
 */
import { parentPort } from "node:worker_threads";
import { encodeJson, transferables, type EncodedJson } from "./json-transfer.js";
import { parseRunRecords } from "./io.js";
import { mentionsRuns, runsOfPiece } from "./split-json.js";

export interface PieceRequest {
  bytes: SharedArrayBuffer;
  from: number;
  to: number;
  prefix: string;
  suffix: string;
  position: "middle" | "last";
}

export type PieceReply =
  | {
      ok: true;
      runs: EncodedJson;
      /** The last piece's keys after `runs` (null for a middle piece). */
      rest: Record<string, unknown> | null;
    }
  | { ok: false; reason: string };

/** Parse, validate and encode one piece (what the worker does; exported for tests). */
export function parsePiece(request: PieceRequest): PieceReply {
  const text = Buffer.from(request.bytes, request.from, request.to - request.from).toString(
    "utf8",
  );
  if (mentionsRuns(text, 0)) return { ok: false, reason: 'a "runs" token after the cut' };
  let value: unknown;
  try {
    value = JSON.parse(request.prefix + text + request.suffix);
  } catch {
    return { ok: false, reason: "piece is not valid JSON" };
  }
  const runs = runsOfPiece(value, request.position);
  if (!runs) return { ok: false, reason: "piece is not a run array" };
  const parsed = parseRunRecords(runs);
  if (!parsed) return { ok: false, reason: "a run record needs the full validation" };
  let rest: Record<string, unknown> | null = null;
  if (request.position === "last") {
    const { runs: _, ...others } = value as Record<string, unknown>;
    rest = others;
  }
  return { ok: true, runs: encodeJson(parsed), rest };
}

parentPort?.once("message", (request: PieceRequest) => {
  let reply: PieceReply;
  try {
    reply = parsePiece(request);
  } catch (error) {
    reply = { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(reply, reply.ok ? transferables(reply.runs) : []);
  parentPort?.close();
});
