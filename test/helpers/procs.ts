import { readdirSync, readFileSync } from "node:fs";

/** One process as /proc shows it: enough to tell it apart from a later one with the same pid. */
export interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  state: string;
  startTime: string;
  cmdline: string;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm is in parentheses and may hold spaces: the fields after the last ')' are fixed.
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    } catch {
      // exited meanwhile
    }
    return {
      pid,
      ppid: Number(fields[1]),
      comm,
      state: fields[0] as string,
      startTime: fields[19] as string,
      cmdline,
    };
  } catch {
    return undefined;
  }
}

/** Every process below `root` (children, grandchildren, ...), now. */
export function descendants(root: number): Proc[] {
  const all = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readProc(Number(d)))
    .filter((p): p is Proc => p !== undefined);
  const out: Proc[] = [];
  const parents = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        out.push(p);
        grew = true;
      }
    }
  }
  return out;
}

/** Whether this very process still runs (a zombie has ended; a reused pid is another process). */
export function running(p: Proc): boolean {
  const now = readProc(p.pid);
  return now !== undefined && now.startTime === p.startTime && now.state !== "Z";
}

/** Poll `condition` every 50 ms; throws after `timeoutMs` (a failure guard, not a timing assertion). */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not within ${timeoutMs} ms: ${what}`);
}
