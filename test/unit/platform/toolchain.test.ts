// Detecting real compilers: test/integration/platform/toolchain.test.ts.
import { describe, expect, it } from "vitest";
import { machineOfTriple } from "../../../src/platform/toolchain.js";

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
