/**
 * System packages the test suite needs beyond what `bench setup` installs for measuring (Debian and
 * Ubuntu names). `.ci/run` installs the same list (a unit test keeps the two in step), and
 * `bench setup --tests` installs it on a developer's machine.
 */
export const APT_TEST_PACKAGES: readonly string[] = [
  // warning-free builds under clang
  "clang",
  // deterministic mode (callgrind) and glibc's malloc function names for the allocator share
  "valgrind",
  "libc6-dbg",
  "hyperfine",
  // the real programs measured as workloads
  "sqlite3",
  "lua5.4",
  "redis-server",
  "redis-tools",
  "z3",
  "ghostscript",
  "rocksdb-tools",
  "python3",
  // the four-architecture test: cross compilers with their libcs, and qemu-user
  "gcc-aarch64-linux-gnu",
  "libc6-dev-arm64-cross",
  "gcc-riscv64-linux-gnu",
  "libc6-dev-riscv64-cross",
  "gcc-powerpc64le-linux-gnu",
  "libc6-dev-ppc64el-cross",
  "qemu-user",
  // the report's end-to-end test (headless chromium) and the PNG renderer's font
  "chromium",
  "fonts-dejavu-core",
];
