import { describe, expect, it } from "vitest";
import { distroFromOsRelease, installCommands, quoteCommand } from "../../../src/doctor/distro.js";

// os-release texts as shipped by each distribution (trimmed to the fields read).
const OS_RELEASE = {
  debian: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\n',
  ubuntu: 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nID=ubuntu\nID_LIKE=debian\n',
  fedora: 'NAME="Fedora Linux"\nID=fedora\nPRETTY_NAME="Fedora Linux 41 (Workstation Edition)"\n',
  alpine: 'NAME="Alpine Linux"\nID=alpine\nPRETTY_NAME="Alpine Linux v3.20"\n',
  chimera: 'NAME="Chimera"\nID="chimera"\nPRETTY_NAME="Chimera Linux"\n',
  arch: 'NAME="Arch Linux"\nPRETTY_NAME="Arch Linux"\nID=arch\n',
  rocky: 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\n',
  gentoo: "NAME=Gentoo\nID=gentoo\n",
};

describe("distroFromOsRelease", () => {
  it.each([
    ["debian", "apt"],
    ["ubuntu", "apt"],
    ["fedora", "dnf"],
    ["rocky", "dnf"],
    ["alpine", "apk"],
    ["chimera", "apk"],
    ["arch", "pacman"],
    ["gentoo", null],
  ] as const)("%s uses %s", (name, manager) => {
    expect(distroFromOsRelease(OS_RELEASE[name]).manager).toBe(manager);
  });

  it("keeps the pretty name", () => {
    expect(distroFromOsRelease(OS_RELEASE.debian)).toEqual({
      id: "debian",
      name: "Debian GNU/Linux 12 (bookworm)",
      manager: "apt",
    });
  });
});

describe("installCommands", () => {
  it("updates apt's lists first and never prompts", () => {
    expect(installCommands("apt", ["musl-tools"], true)).toEqual([
      ["apt-get", "update"],
      ["apt-get", "install", "-y", "--no-install-recommends", "musl-tools"],
    ]);
  });
  it("uses sudo when not root", () => {
    expect(installCommands("pacman", ["jemalloc"], false)).toEqual([
      ["sudo", "pacman", "-S", "--needed", "--noconfirm", "jemalloc"],
    ]);
  });
  it("quotes only what needs quoting for display", () => {
    expect(quoteCommand(["apt-get", "install", "libmimalloc2.0", "it's"])).toBe(
      "apt-get install libmimalloc2.0 'it'\\''s'",
    );
  });
});
