import { execa } from "execa";

/**
 * Build the launcher and every workload once, before test files run in parallel, so tests share
 * one warm build cache instead of racing to fill it. Uses the real CLI entry point.
 */
export default async function setup(): Promise<void> {
  await execa("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
  await execa("node", ["bin/bench.js", "build"], { stdio: "inherit" });
}
