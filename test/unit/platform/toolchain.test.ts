import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { hostMachine } from "../../../src/platform/elf.js";
import { detectToolchains, machineOfTriple } from "../../../src/platform/toolchain.js";

const hasAarch64Gcc =
  (await execa("aarch64-linux-gnu-gcc", ["-dumpmachine"], { reject: false })).exitCode === 0;

describe("machineOfTriple", () => {
  it.each([
    ["x86_64-linux-gnu", "x86_64"],
    ["x86_64-pc-linux-musl", "x86_64"],
    ["x86_64-linux-gnux32", "x32"],
    ["i686-linux-gnu", "i386"],
    ["aarch64-linux-gnu", "aarch64"],
    ["aarch64-unknown-linux-musl", "aarch64"],
    ["riscv64-linux-gnu", "riscv64"],
    ["powerpc64le-linux-gnu", "ppc64le"],
    ["powerpc64-linux-gnu", "ppc64"],
    ["powerpc-linux-gnu", "ppc"],
    ["arm-linux-gnueabihf", "arm"],
    ["armv7l-unknown-linux-gnueabihf", "arm"],
    ["s390x-linux-gnu", "s390x"],
    ["loongarch64-linux-gnu", "loongarch64"],
  ])("%s -> %s (elf.ts's names)", (triple, machine) => {
    expect(machineOfTriple(triple)).toBe(machine);
  });
});

describe("detectToolchains and the machine", () => {
  it("marks the host compiler native, for this machine", async () => {
    const [host] = await detectToolchains({ PATH: process.env["PATH"] });
    expect(host?.machine).toBe(hostMachine());
    expect(host?.cross).toBe(false);
    expect(host?.id.startsWith(`${host.libc}-`)).toBe(true);
  });

  it.skipIf(!hasAarch64Gcc)(
    "reads a cross compiler's machine from -dumpmachine, keys its id by it, pairs no musl-gcc",
    async () => {
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
    },
  );
});
