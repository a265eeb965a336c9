import { execa } from "execa";
import { formatDoctor, runDoctor } from "../doctor/doctor.js";
import { detectDistro, installCommands, quoteCommand } from "../doctor/distro.js";
import { APT_TEST_PACKAGES } from "../doctor/test-packages.js";
import { EnvironmentError } from "../errors.js";
import { checkAvailability, loadPrograms } from "../targets/programs.js";
import { workloadRoots } from "../targets/workloads.js";
import { writeOut, writeErr } from "../util/text.js";

/** `bench doctor [--json]` */
export async function doctorCommand(opts: { json?: boolean }): Promise<number> {
  const report = await runDoctor();
  writeOut(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report)}\n`);
  return 0;
}

async function runInstall(commands: string[][], dryRun: boolean | undefined): Promise<void> {
  for (const argv of commands) {
    writeErr(`$ ${quoteCommand(argv)}\n`);
    if (dryRun) continue;
    const [cmd, ...args] = argv as [string, ...string[]];
    const result = await execa(cmd, args, {
      stdio: "inherit",
      reject: false,
      env: { DEBIAN_FRONTEND: "noninteractive" },
    });
    if (result.exitCode !== 0)
      throw new EnvironmentError(
        `${quoteCommand(argv)} failed (exit ${String(result.exitCode)})`,
        1,
      );
  }
}

/**
 * The packages of every declared program that is absent here (their manifests' `packages` for
 * this distribution's package manager), installed; a program without packages for it is named.
 */
async function installPrograms(dryRun: boolean | undefined): Promise<void> {
  const distro = await detectDistro();
  const packages = new Set<string>();
  const unknown: string[] = [];
  for (const program of await loadPrograms(workloadRoots([]))) {
    if ((await checkAvailability(program)).available) continue;
    const names = distro.manager ? program.packages?.[distro.manager] : undefined;
    if (names) for (const name of names) packages.add(name);
    else unknown.push(program.name);
  }
  if (unknown.length > 0)
    writeErr(
      `no ${distro.manager ?? "known"} package is declared for the absent program(s) ${unknown.join(", ")} on ${distro.name}: install them by hand (docs/programs.md)\n`,
    );
  if (packages.size === 0 || !distro.manager) {
    if (unknown.length === 0) writeOut("every declared program is installed.\n");
    return;
  }
  await runInstall(
    installCommands(distro.manager, [...packages], process.getuid?.() === 0),
    dryRun,
  );
}

/**
 * `bench setup [--dry-run] [--tests] [--programs]`: run the install command that `bench doctor` prints; with
 * --tests, also the packages the test suite needs (Debian/Ubuntu: the list .ci/run installs).
 */
export async function setupCommand(opts: {
  dryRun?: boolean;
  tests?: boolean;
  programs?: boolean;
}): Promise<number> {
  if (opts.programs) await installPrograms(opts.dryRun);
  if (opts.tests) {
    const distro = await detectDistro();
    if (distro.manager !== "apt")
      throw new EnvironmentError(
        `bench setup --tests knows the test packages for Debian and Ubuntu only (this is ${distro.name}); see .ci/run for the list`,
      );
    await runInstall(
      installCommands("apt", [...APT_TEST_PACKAGES], process.getuid?.() === 0),
      opts.dryRun,
    );
  }
  const report = await runDoctor();
  if (report.missing.length === 0) {
    writeOut("everything bench needs is installed.\n");
    return 0;
  }
  if (report.installCommands.length === 0) {
    throw new EnvironmentError(
      `missing ${report.missing.join(", ")}, and no install command is known for ${report.distro.name}: see README "Installing allocators"`,
    );
  }
  await runInstall(report.installCommands, opts.dryRun);
  if (opts.dryRun) return 0;
  const after = await runDoctor({ refine: false });
  writeOut(`${formatDoctor(after)}\n`);
  return 0;
}
