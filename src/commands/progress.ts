import { cellKey } from "../plan/schedule.js";
import type { RunRecord } from "../results/schema.js";
import type { Progress, RunEvents } from "../run/runner.js";
import { showControls, terminalText } from "../util/text.js";

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

function describe(run: RunRecord): string {
  const cell = `${cellKey(run)}${run.warmup ? " (warmup)" : ""}`;
  return run.status === "ok"
    ? `${cell} ok ${run.metrics.seconds.toFixed(3)}s`
    : `${cell} FAILED ${run.failure.kind}: ${run.failure.message}`;
}

/**
 * Progress on stderr: a bar with ETA redrawn in place on a terminal; plain lines otherwise
 * (every failure, and a status line at most every 10 seconds), so CI logs stay readable.
 */
export function progressReporter(
  stream: NodeJS.WriteStream = process.stderr,
  quiet = false,
): RunEvents & { finish(): void } {
  const tty = Boolean(stream.isTTY);
  let lastPlain = 0;
  let barShown = false;
  const clearBar = (): void => {
    if (tty && barShown) {
      stream.write("\r\x1b[2K");
      barShown = false;
    }
  };
  const say = (text: string): void => {
    clearBar();
    stream.write(`${terminalText(text)}\n`);
  };
  return {
    onMessage(message) {
      if (!quiet) say(message);
    },
    onWarning(message) {
      say(`warning: ${message}`);
    },
    onStart({ total, alreadyDone, file, journal }) {
      say(
        `measuring ${total - alreadyDone} run(s)${alreadyDone ? ` (${alreadyDone} already done)` : ""}; results: ${file} (journal: ${journal})`,
      );
    },
    onRun(run: RunRecord, p: Progress) {
      const pct = Math.floor((100 * p.done) / Math.max(1, p.total));
      const eta = p.etaMs === null ? "?" : formatDuration(p.etaMs);
      if (tty) {
        if (run.status === "failed") say(describe(run));
        const width = 24;
        const filled = Math.round((width * p.done) / Math.max(1, p.total));
        const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${p.done}/${p.total} ${pct}% ETA ${eta}  ${describe(run)}`;
        const columns = stream.columns || 100;
        stream.write(`\r\x1b[2K${showControls(bar).slice(0, columns - 1)}`);
        barShown = true;
      } else {
        const now = Date.now();
        if (run.status === "failed") say(describe(run));
        if (now - lastPlain >= 10_000 || p.done === p.total) {
          lastPlain = now;
          say(
            `progress: ${p.done}/${p.total} (${pct}%), elapsed ${formatDuration(p.elapsedMs)}, ETA ${eta}; last: ${describe(run)}`,
          );
        }
      }
    },
    finish() {
      clearBar();
    },
  };
}
