/** Toolchain detection with this machine's real compilers. */
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { hostMachine } from "../../../src/platform/elf.js";
import { detectToolchains } from "../../../src/platform/toolchain.js";

const hasAarch64Gcc =
  (await execa("aarch64-linux-gnu-gcc", ["-dumpmachine"], { reject: false })).exitCode === 0;

describe("detectToolchains and the machine", () => {
  it("marks the host compiler native, for this machine", async () => {
    const [host] = await detectToolchains({ PATH: process.env["PATH"] });
    expect(host?.machine).toBe(hostMachine());
    expect(host?.cross).toBe(false);
    expect(host?.id.startsWith(`${host.libc}-`)).toBe(true);
  });

  it("reads a cross compiler's machine from -dumpmachine, keys its id by it, pairs no musl-gcc", async (ctx) => {
    ctx.skip(
      !hasAarch64Gcc,
      "aarch64-linux-gnu-gcc is not installed (Debian: gcc-aarch64-linux-gnu)",
    );
    const toolchains = await detectToolchains({
      PATH: process.env["PATH"],
      CC: "aarch64-linux-gnu-gcc",
    });
    expect(toolchains).toHaveLength(1);
    const [tc] = toolchains;
    expect(tc?.machine).toBe("aarch64");
    expect(tc?.cross).toBe(hostMachine() !== "aarch64");
    expect(tc?.libc).toBe("glibc");
    expect(tc?.target).toBe("aarch64-linux-gnu");
    if (tc?.cross) expect(tc.id).toMatch(/^aarch64-glibc-[0-9a-f]{10}$/);
  });
});
