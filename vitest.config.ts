import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Timing comparisons across invocations run alone, after this suite (vitest.calibration.config.ts).
    exclude: ["test/calibration/**", "**/node_modules/**"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Integration tests build native code and run real processes; on a 2-core machine
    // running many files at once only adds noise and contention.
    maxWorkers: 2,
    projects: [
      {
        // Pure TypeScript: no compiler, LLVM or other program (no-programs.ts enforces it), so no
        // native build before them (`npx vitest run test/unit`).
        extends: true,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          setupFiles: ["test/unit/no-programs.ts"],
          // Files of a worker share loaded modules (no unit test mocks a module or keeps global
          // state): the run takes half the CPU time.
          isolate: false,
        },
      },
      {
        // Real compilers, allocators and processes. The global setup builds the tool and every
        // workload once; vitest runs it only when a test of this project is selected.
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/e2e/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
        },
      },
    ],
  },
});
