/**
 * LD_PRELOAD takes a list split at spaces and colons, with no quoting, so a library whose path
 * holds either (or a quote or newline) cannot be named in it. Such a library is preloaded
 * through a symbolic link with a plain, content-addressed name; the workloads report the
 * realpath of the object defining malloc, which is the library itself.
 */
import { createHash } from "node:crypto";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { UsageError } from "../errors.js";
import { cacheDir } from "../paths.js";

/** Characters a path in LD_PRELOAD may hold: no whitespace, colon, quote or control character. */
const PLAIN_PATH = /^[A-Za-z0-9._+@,%=/-]+$/;

export function isPlainPath(file: string): boolean {
  return PLAIN_PATH.test(file);
}

/**
 * A directory for the links, with a plain path: the build cache when its path is plain, else a
 * private directory of this user's under the system's temporary directory.
 */
function linkDir(): string {
  const cache = path.join(cacheDir(), "preload");
  if (isPlainPath(cache)) {
    mkdirSync(cache, { recursive: true });
    return cache;
  }
  const uid = process.getuid?.() ?? 0;
  const dir = path.join(os.tmpdir(), `mallocbench-preload-${uid}`);
  if (!isPlainPath(dir))
    throw new UsageError(
      `no directory without spaces or colons for preload links (cache ${cacheDir()}, temporary ${os.tmpdir()}): set MALLOCBENCH_CACHE_DIR or TMPDIR to a plain path`,
    );
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  // Shared /tmp: use the directory only when it is this user's own and nobody else can write it.
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0)
    throw new UsageError(
      `${dir} is not a private directory of this user's: remove it, or set MALLOCBENCH_CACHE_DIR to a plain path`,
    );
  chmodSync(dir, 0o700);
  return dir;
}

const links = new Map<string, string>();

/**
 * The path to put in LD_PRELOAD for this validated library: the path itself when it is plain,
 * else a link `<sha256 of the content>-<sha256 of the real path>.so` to it, made once.
 */
export function preloadPath(lib: string): string {
  if (isPlainPath(lib)) return lib;
  const real = realpathSync(lib);
  const known = links.get(real);
  if (known !== undefined) return known;
  const content = createHash("sha256").update(readFileSync(real)).digest("hex");
  const where = createHash("sha256").update(real).digest("hex");
  const link = path.join(linkDir(), `${content.slice(0, 24)}-${where.slice(0, 12)}.so`);
  let current: string | undefined;
  try {
    current = readlinkSync(link);
  } catch {
    current = undefined;
  }
  if (current !== real) {
    // Made beside it and renamed over it, so a concurrent run never sees a missing link.
    const temp = `${link}.${process.pid}.tmp`;
    rmSync(temp, { force: true });
    symlinkSync(real, temp);
    renameSync(temp, link);
  }
  links.set(real, link);
  return link;
}

/** LD_PRELOAD for these libraries, in order, each by {@link preloadPath}. */
export function preloadList(libs: readonly string[]): string {
  return libs.map(preloadPath).join(":");
}
