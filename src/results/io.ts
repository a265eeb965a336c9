import { unlistedInvocation } from "./invocations.js";
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  writeSync,
} from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";
import { EnvironmentError, UsageError } from "../errors.js";
import { NotRegularFileError, readRegularFile } from "../util/files.js";
import { checkStringLimits } from "./limits.js";
import { checkedRun } from "./run-validator.js";
import {
  ResultsFileSchema,
  ResultsHeaderSchema,
  RunRecordSchema,
  type ResultsFile,
  type ResultsHeader,
  type RunRecord,
} from "./schema.js";

/** "runs[3].metrics.wallSeconds" from a zod issue path. */
function fieldName(issuePath: readonly PropertyKey[]): string {
  let out = "";
  for (const part of issuePath) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "(root)";
}

function firstIssue<T>(
  schema: z.ZodType<T>,
  value: unknown,
): { ok: true; value: T } | { ok: false; message: string } {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    message: `field ${fieldName(issue?.path ?? [])}: ${issue?.message ?? "invalid"}`,
  };
}

/**
 * Validate parsed JSON as a results file; throws UsageError naming the first bad field. Unknown
 * keys of its runs are deleted in place (src/results/run-validator.ts): pass JSON parsed for it.
 */
export function parseResults(value: unknown, source: string): ResultsFile {
  checkStringLimits(value, source);
  if (typeof value === "object" && value !== null && "schemaVersion" in value) {
    const version = (value as { schemaVersion: unknown }).schemaVersion;
    if (version !== 1)
      throw new UsageError(
        `${source}: unsupported schemaVersion ${JSON.stringify(version)} (this mallocbench reads 1)`,
      );
  }
  const fast = fastParseResults(value);
  const results =
    fast ??
    (() => {
      const checked = firstIssue(ResultsFileSchema, value);
      if (!checked.ok)
        throw new UsageError(`${source}: not a mallocbench results file: ${checked.message}`);
      return checked.value;
    })();
  // Each run is recorded once; a repeated key would count one measurement twice.
  const firstIndex = new Map<string, number>();
  results.runs.forEach((run, i) => {
    const first = firstIndex.get(run.key);
    if (first !== undefined)
      throw new UsageError(
        `${source}: not a mallocbench results file: field runs[${i}].key: ${JSON.stringify(run.key)} is also runs[${first}]'s (a results file holds each run once)`,
      );
    firstIndex.set(run.key, i);
  });
  const unlisted = unlistedInvocation(results);
  if (unlisted)
    throw new UsageError(`${source}: not a mallocbench results file: field ${unlisted}`);
  results.runs.forEach((run, i) => {
    const problem = implausibleRun(run);
    if (problem)
      throw new UsageError(
        `${source}: not a mallocbench results file: field runs[${i}].${problem}`,
      );
  });
  return results;
}

/**
 * What no real run can hold beyond each field's own domain (the schema's): a measured region
 * longer than the process that measured it. The launcher prints its wall time to the
 * nanosecond and the workload its seconds to 9 digits, hence the microsecond of slack.
 */
export function implausibleRun(run: RunRecord): string | undefined {
  if (run.status !== "ok") return undefined;
  const { seconds, wallSeconds } = run.metrics;
  if (seconds > wallSeconds + 1e-6)
    return `metrics.seconds: ${seconds} exceeds metrics.wallSeconds ${wallSeconds}, the whole life of the process`;
  return undefined;
}

/**
 * A results file whose runs all pass the compiled run validator, the rest (header, plan,
 * hardening) checked by zod: the value zod's parse of the whole file gives, but for the order of
 * keys in each run (the file's). Undefined when any run fails, so that zod's parse of the whole
 * file reports the first issue.
 */
function fastParseResults(value: unknown): ResultsFile | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const runs = (value as { runs?: unknown }).runs;
  if (!Array.isArray(runs)) return undefined;
  const parsedRuns = new Array<RunRecord>(runs.length);
  for (let i = 0; i < runs.length; i++) {
    const run = checkedRun(runs[i]);
    if (run === undefined) return undefined;
    parsedRuns[i] = run;
  }
  const rest = ResultsFileSchema.safeParse({ ...value, runs: [] });
  if (!rest.success) return undefined;
  rest.data.runs = parsedRuns;
  return rest.data;
}

/** JSON.parse, or a usage error naming the file. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

/** Read a file's text, or a usage error naming the file. */
export async function readResultsText(file: string): Promise<string> {
  try {
    return await readRegularFile(file, "utf8");
  } catch (error) {
    if (error instanceof NotRegularFileError) throw new UsageError(error.message);
    throw new UsageError(
      `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

/** Load and validate a results file. */
export async function loadResults(file: string): Promise<ResultsFile> {
  return parseResults(parseJsonText(await readResultsText(file), file), file);
}

/** Write JSON to `file` atomically: temp file in the same directory, fsync, rename. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeTextAtomic(file, `${JSON.stringify(value, null, 1)}\n`);
}

/** Write text to `file` atomically, so a failed write (disk full) never leaves half a file. */
export async function writeTextAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (error) {
    // A failed write (disk full, say) leaves no partial temp file behind.
    await rm(tmp, { force: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * The journal: NDJSON next to the results file. Line 1 is the header, then one line per finished
 * run, written and synced as soon as the run ends, so a crash or a kill loses nothing measured.
 */
export class Journal {
  private constructor(
    readonly file: string,
    private readonly fd: number,
  ) {}

  static async create(file: string, header: ResultsHeader): Promise<Journal> {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true });
    const fd = openSync(file, "w");
    const journal = new Journal(file, fd);
    journal.writeLine({ type: "header", ...header });
    return journal;
  }

  /**
   * Reopen an existing journal for appending (resume). A last line without its newline was torn
   * by a crash mid-write: it is cut off first, so the next record starts on a line of its own.
   */
  static async append(file: string): Promise<Journal> {
    const fd = openSync(file, "r+");
    try {
      const end = completeLength(fd);
      if (end < fstatSync(fd).size) {
        ftruncateSync(fd, end);
        fsyncSync(fd);
      }
    } finally {
      closeSync(fd);
    }
    return new Journal(file, openSync(file, "a"));
  }

  private writeLine(value: unknown): void {
    try {
      writeSync(this.fd, `${JSON.stringify(value)}\n`);
      fsyncSync(this.fd);
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new EnvironmentError(
        `cannot append to the journal ${this.file} (${why}): fix the cause (disk space, permissions), then continue with bench run --resume ${this.file}`,
      );
    }
  }

  record(run: RunRecord): void {
    this.writeLine({ type: "run", ...run });
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Bytes up to and including the last newline: the journal's complete lines. */
function completeLength(fd: number): number {
  const size = fstatSync(fd).size;
  const chunk = Buffer.alloc(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const n = readSync(fd, chunk, 0, end - start, start);
    const at = chunk.subarray(0, n).lastIndexOf(0x0a);
    if (at >= 0) return start + at + 1;
    end = start;
  }
  return 0;
}

export interface JournalContents {
  header: ResultsHeader;
  runs: RunRecord[];
}

/** Read a journal; a torn last line (the process died mid-write) is ignored, any other bad line is an error. */
export async function readJournal(file: string): Promise<JournalContents> {
  let text: string;
  try {
    text = await readRegularFile(file, "utf8");
  } catch (error) {
    if (error instanceof NotRegularFileError) throw new UsageError(error.message);
    throw new UsageError(
      `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  const lines = text.split("\n");
  // The last piece is "" after a final newline, or a torn line from a process that died mid-write.
  const complete = lines.slice(0, -1);
  let header: ResultsHeader | undefined;
  const runs: RunRecord[] = [];
  for (const [index, line] of complete.entries()) {
    if (line.trim() === "") continue;
    let json: { type?: unknown };
    try {
      json = JSON.parse(line) as { type?: unknown };
    } catch (error) {
      throw new UsageError(`${file}:${index + 1}: not valid JSON (${(error as Error).message})`);
    }
    checkStringLimits(json, `${file}:${index + 1}`);
    const { type, ...rest } = json;
    if (index === 0) {
      if (type !== "header")
        throw new UsageError(`${file}:1: not a mallocbench journal (no header line)`);
      const checked = firstIssue(ResultsHeaderSchema, rest);
      if (!checked.ok) throw new UsageError(`${file}:1: ${checked.message}`);
      header = checked.value;
    } else if (type === "run") {
      const fast = checkedRun(rest);
      const checked = fast
        ? ({ ok: true, value: fast } as const)
        : firstIssue(RunRecordSchema, rest);
      if (!checked.ok) throw new UsageError(`${file}:${index + 1}: ${checked.message}`);
      const problem = implausibleRun(checked.value);
      if (problem) throw new UsageError(`${file}:${index + 1}: field ${problem}`);
      runs.push(checked.value);
    } else {
      throw new UsageError(`${file}:${index + 1}: unknown line type ${JSON.stringify(type)}`);
    }
  }
  if (!header)
    throw new UsageError(
      `${file}: no complete header line, so nothing was recorded in it: remove it and start a new run`,
    );
  return { header, runs };
}

export function journalPathFor(resultsFile: string): string {
  return `${resultsFile}.journal`;
}

function shown(value: unknown): string {
  const text = value === undefined ? "absent" : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The first place two JSON values differ, with both values ("plan.runs: 3 vs 5"), or undefined. */
function firstDifference(a: unknown, b: unknown, at: string): string | undefined {
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null)
    return Object.is(a, b) ? undefined : `${at}: ${shown(a)} vs ${shown(b)}`;
  if (Array.isArray(a) !== Array.isArray(b)) return `${at}: ${shown(a)} vs ${shown(b)}`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const sub = Array.isArray(a) ? `${at}[${key}]` : at ? `${at}.${key}` : key;
    const d = firstDifference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      sub,
    );
    if (d !== undefined) return d;
  }
  return undefined;
}

/**
 * Whether a journal and a results file record the same invocation: the same start, tool, plan,
 * allocators (with their sha256) and workload builds (with their content hashes). Returns the
 * first field that differs, or undefined.
 */
export function headerMismatch(journal: ResultsHeader, results: ResultsHeader): string | undefined {
  // In the order worth naming first: what was planned, then what ran it, then when.
  const identity = (h: ResultsHeader) => ({
    plan: h.plan,
    allocators: h.allocators,
    builds: h.builds,
    tool: h.tool,
    createdAt: h.createdAt,
  });
  return firstDifference(
    JSON.parse(JSON.stringify(identity(journal))),
    JSON.parse(JSON.stringify(identity(results))),
    "",
  );
}
