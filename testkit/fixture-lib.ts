import path from "node:path";
import { execa } from "execa";

const FIXTURE_LIBS = path.resolve(import.meta.dirname, "..", "test", "fixtures", "libs");

/** Compiles test/fixtures/libs/<name>.c into `<dir>/lib<name>.so` (cc -shared -fPIC -O2, -ldl). */
export async function buildFixtureLib(name: string, dir: string): Promise<string> {
  const lib = path.join(dir, `lib${name}.so`);
  await execa("cc", [
    "-shared",
    "-fPIC",
    "-O2",
    "-o",
    lib,
    path.join(FIXTURE_LIBS, `${name}.c`),
    "-ldl",
  ]);
  return lib;
}
