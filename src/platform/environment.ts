import { readFile } from "node:fs/promises";
import os from "node:os";
import { hostMachine } from "./elf.js";
import { identifySystemAllocator } from "./system-allocator.js";
import type { Environment } from "../results/schema.js";

async function readText(file: string): Promise<string | null> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch {
    return null;
  }
}

/** CPU model from /proc/cpuinfo ("model name" on x86, "cpu" on ppc64, "uarch"/"isa" on riscv, implementer/part on arm64). */
export function cpuModelFromCpuinfo(cpuinfo: string): string {
  const field = (name: string): string | undefined => {
    const match = new RegExp(`^${name}\\s*:\\s*(.+)$`, "mi").exec(cpuinfo);
    return match?.[1]?.trim();
  };
  const model =
    field("model name") ??
    field("cpu model") ??
    field("cpu") ??
    field("uarch") ??
    field("Hardware");
  if (model) return model;
  const implementer = field("CPU implementer");
  const part = field("CPU part");
  if (implementer && part) return `arm implementer ${implementer} part ${part}`;
  return field("isa") ?? "unknown";
}

async function osName(): Promise<string> {
  const text = (await readText("/etc/os-release")) ?? "";
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text);
  return pretty?.[1] ?? `${os.type()} ${os.release()}`;
}

async function turbo(): Promise<"on" | "off" | null> {
  const noTurbo = await readText("/sys/devices/system/cpu/intel_pstate/no_turbo");
  if (noTurbo !== null) return noTurbo === "1" ? "off" : "on";
  const boost = await readText("/sys/devices/system/cpu/cpufreq/boost");
  if (boost !== null) return boost === "1" ? "on" : "off";
  return null;
}

async function smt(): Promise<"on" | "off" | "unsupported" | null> {
  const control = await readText("/sys/devices/system/cpu/smt/control");
  if (control === "notsupported" || control === "notimplemented") return "unsupported";
  const active = await readText("/sys/devices/system/cpu/smt/active");
  if (active === null) return null;
  return active === "1" ? "on" : "off";
}

export interface LibcFacts {
  libc: "glibc" | "musl";
  version: string | null;
  toolchain: string;
  compiler: string[];
  compilerVersion: string;
  target: string;
  /** The machine the toolchain builds for (from its target triple), e.g. x86_64, aarch64. */
  machine?: string;
  cflags: string[];
  cflagsFromEnv: boolean;
  systemMalloc: string | null;
  /** What the libc's own malloc is: ptmalloc2, mallocng, oldmalloc, or an allocator built into the libc. */
  systemAllocator?: {
    allocator: string;
    libcVersion: string | null;
    object: string | null;
    description: string;
    evidence: string[];
  };
}

/** The facts with the libc's own allocator identified (by probing with the libc's compiler). */
async function withSystemAllocator(facts: LibcFacts): Promise<LibcFacts> {
  if (facts.systemAllocator) return facts;
  const { allocator, libcVersion, object, description, evidence } = await identifySystemAllocator(
    facts.libc,
    facts.compiler,
  );
  return { ...facts, systemAllocator: { allocator, libcVersion, object, description, evidence } };
}

/** Describe the testbed. Everything read from /proc and /sys is optional: null when unreadable. */
export async function captureEnvironment(
  libcs: LibcFacts[],
  launcher: string,
): Promise<Environment> {
  const cpuinfo = (await readText("/proc/cpuinfo")) ?? "";
  const paranoid = await readText("/proc/sys/kernel/perf_event_paranoid");
  const [l1, l5, l15] = os.loadavg();
  return {
    hostname: os.hostname(),
    arch: hostMachine(),
    cpuModel: cpuModelFromCpuinfo(cpuinfo),
    cores: os.availableParallelism(),
    onlineCpus: await readText("/sys/devices/system/cpu/online"),
    memoryBytes: os.totalmem(),
    kernel: `${os.type()} ${os.release()} ${os.version()}`,
    os: await osName(),
    libcs: await Promise.all(libcs.map(withSystemAllocator)),
    governor: await readText("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
    turbo: await turbo(),
    smt: await smt(),
    loadAverage: [l1 ?? 0, l5 ?? 0, l15 ?? 0],
    perfEventParanoid: paranoid === null ? null : Number.parseInt(paranoid, 10),
    nodeVersion: process.version,
    launcher,
  };
}

/** Noise warnings a careful benchmarker wants before trusting numbers. */
export function noiseWarnings(env: Environment): string[] {
  const warnings: string[] = [];
  if (env.governor && env.governor !== "performance") {
    warnings.push(
      `CPU frequency governor is "${env.governor}": set "performance" for steadier numbers (cpupower frequency-set -g performance)`,
    );
  }
  if (env.turbo === "on")
    warnings.push("turbo/boost is on: clock speed varies with temperature and load");
  if (env.smt === "on")
    warnings.push(
      "SMT is on: sibling hyperthreads share a core; consider --cpus to pin to one thread per core",
    );
  if (env.loadAverage[0] > env.cores * 0.25) {
    warnings.push(
      `load average is ${env.loadAverage[0].toFixed(2)} on ${env.cores} cores: other work will disturb the measurements`,
    );
  }
  return warnings;
}
