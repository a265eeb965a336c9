import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let cachedRoot: string | undefined;

/** The directory holding mallocbench's package.json (works from src/ under tsx and from dist/). */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "workloads"))) {
      cachedRoot = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("cannot find the mallocbench package root");
    dir = parent;
  }
}

/** Build cache: MALLOCBENCH_CACHE_DIR, else <package>/.build. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env["MALLOCBENCH_CACHE_DIR"];
  return fromEnv ? path.resolve(fromEnv) : path.join(packageRoot(), ".build");
}

export function workloadsDir(): string {
  return path.join(packageRoot(), "workloads");
}

export function launcherSource(): string {
  return path.join(packageRoot(), "src", "native", "launcher.c");
}
