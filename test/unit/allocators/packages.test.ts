// packageOf asks the package manager: test/integration/allocators/packages.test.ts.
import { describe, expect, it } from "vitest";
import { usrMergeAlias } from "../../../src/allocators/packages.js";

describe("usrMergeAlias", () => {
  it("maps /lib <-> /usr/lib and friends", () => {
    expect(usrMergeAlias("/lib/x86_64-linux-gnu/libc.so.6")).toBe(
      "/usr/lib/x86_64-linux-gnu/libc.so.6",
    );
    expect(usrMergeAlias("/usr/lib/x86_64-linux-gnu/libc.so.6")).toBe(
      "/lib/x86_64-linux-gnu/libc.so.6",
    );
    expect(usrMergeAlias("/usr/lib64/libjemalloc.so.2")).toBe("/lib64/libjemalloc.so.2");
    expect(usrMergeAlias("/usr/bin/ls")).toBe("/bin/ls");
    expect(usrMergeAlias("/usr/libexec/x")).toBeUndefined();
    expect(usrMergeAlias("/opt/x.so")).toBeUndefined();
  });
});
