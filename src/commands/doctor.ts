import { execa } from "execa";
import { formatDoctor, runDoctor } from "../doctor/doctor.js";
import { quoteCommand } from "../doctor/distro.js";
import { EnvironmentError } from "../errors.js";

/** `bench doctor [--json]` */
export async function doctorCommand(opts: { json?: boolean }): Promise<number> {
  const report = await runDoctor();
  process.stdout.write(
    opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report)}\n`,
  );
  return 0;
}

/** `bench setup [--dry-run]`: run the install command that `bench doctor` prints. */
export async function setupCommand(opts: { dryRun?: boolean }): Promise<number> {
  const report = await runDoctor();
  if (report.missing.length === 0) {
    process.stdout.write("everything bench needs is installed.\n");
    return 0;
  }
  if (report.installCommands.length === 0) {
    throw new EnvironmentError(
      `missing ${report.missing.join(", ")}, and no install command is known for ${report.distro.name}: see README "Installing allocators"`,
    );
  }
  for (const argv of report.installCommands) {
    process.stderr.write(`$ ${quoteCommand(argv)}\n`);
    if (opts.dryRun) continue;
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
  if (opts.dryRun) return 0;
  const after = await runDoctor({ refine: false });
  process.stdout.write(`${formatDoctor(after)}\n`);
  return 0;
}
