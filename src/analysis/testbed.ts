import type { ResultsFile } from "../results/schema.js";

/** What must match for two result sets to be compared: the machine class and the libcs. */
export interface Testbed {
  arch: string;
  cpuModel: string;
  cores: number;
  libcs: string[];
  /** A file-name-safe identity: arch, CPU model, cores and libcs. */
  id: string;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/\(r\)|\(tm\)/g, "")
    .replace(/[^a-z0-9.]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

export function testbedOf(results: Pick<ResultsFile, "environment">): Testbed {
  const env = results.environment;
  const libcs = env.libcs.map((l) => `${l.libc}-${l.version ?? "unknown"}`).sort();
  return {
    arch: env.arch,
    cpuModel: env.cpuModel,
    cores: env.cores,
    libcs,
    id: slug(`${env.arch}-${env.cpuModel}-${env.cores}cpu-${libcs.join("-")}`),
  };
}

/** Why two testbeds must not be compared, or null when they match. */
export function testbedMismatch(a: Testbed, b: Testbed): string | null {
  if (a.arch !== b.arch) return `architecture ${a.arch} vs ${b.arch}`;
  if (a.cpuModel !== b.cpuModel) return `CPU "${a.cpuModel}" vs "${b.cpuModel}"`;
  if (a.cores !== b.cores) return `${a.cores} vs ${b.cores} CPUs`;
  const la = a.libcs.join(", ");
  const lb = b.libcs.join(", ");
  if (la !== lb) return `libc ${la} vs ${lb}`;
  return null;
}

export function describeTestbed(t: Testbed): string {
  return `${t.arch}, ${t.cpuModel}, ${t.cores} CPUs, ${t.libcs.join(" + ")}`;
}
