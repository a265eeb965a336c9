import { execa } from "execa";
import { formatDoctor, runDoctor } from "../doctor/doctor.js";
import { detectDistro, installCommands, quoteCommand } from "../doctor/distro.js";
import { APT_TEST_PACKAGES } from "../doctor/test-packages.js";
import { EnvironmentError } from "../errors.js";
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
 * `bench setup [--dry-run] [--tests]`: run the install command that `bench doctor` prints; with
 * --tests, also the packages the test suite needs (Debian/Ubuntu: the list .ci/run installs).
 */
export async function setupCommand(opts: { dryRun?: boolean; tests?: boolean }): Promise<number> {
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
