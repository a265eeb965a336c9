import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Timing comparisons across invocations run alone, after this suite (vitest.calibration.config.ts).
    exclude: ["test/calibration/**", "**/node_modules/**"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Integration tests build native code and run real processes; on a 2-core machine
    // running many files at once only adds noise and contention.
    maxWorkers: 2,
    globalSetup: ["test/global-setup.ts"],
  },
});
