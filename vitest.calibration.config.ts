import { defineConfig } from "vitest/config";

/**
 * Tests that compare timings across invocations (the CI gate on real runs). They run after the
 * main suite, one file at a time, so that no other test disturbs what they measure.
 */
export default defineConfig({
  test: {
    include: ["test/calibration/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    fileParallelism: false,
    globalSetup: ["test/global-setup.ts"],
  },
});
