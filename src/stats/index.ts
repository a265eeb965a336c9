/**
 * Statistics core of mallocbench: pure functions over raw per-run measurements.
 *
 * Verdicts are not decided here: analysis/comparisons.ts is the one engine that turns these
 * estimates into "improved", "regressed" or "same".
 *
 * @module
 */

export * from "./descriptive.js";
export * from "./mann-whitney.js";
export * from "./hodges-lehmann.js";
export * from "./multiple.js";
export * from "./geomean.js";
export * from "./special.js";
export * from "./ranks.js";
export * from "./wilcoxon-distribution.js";
export * from "./signed-rank.js";
export * from "./power.js";
export * from "./sequential.js";
export * from "./invocations.js";
