/**
 * Setup file of the unit project: unit tests start no process. Every child_process entry point
 * throws, and a test during which one was called fails naming the program, even when the code
 * under test caught the error; a test that needs a compiler, LLVM or any other program belongs
 * in test/integration, where what is installed is discovered.
 */
import childProcess from "node:child_process";
import { syncBuiltinESMExports } from "node:module";
import { afterEach } from "vitest";

const started: string[] = [];
const entryPoints = [
  "spawn",
  "spawnSync",
  "exec",
  "execSync",
  "execFile",
  "execFileSync",
  "fork",
] as const;
for (const name of entryPoints) {
  (childProcess as unknown as Record<string, unknown>)[name] = (file: unknown): never => {
    started.push(`${name}(${JSON.stringify(file)})`);
    throw new Error(`unit tests start no process: ${name}(${JSON.stringify(file)})`);
  };
}
// Named imports of node:child_process (execa's among them) see the replacements too.
syncBuiltinESMExports();

afterEach(() => {
  if (started.length === 0) return;
  const list = started.splice(0).join(", ");
  throw new Error(`this unit test started a process (${list}); move it to test/integration`);
});
