/**
 * Statistics core of mallocbench: pure functions over raw per-run measurements.
 *
 * Typical report pipeline: {@link describe} each sample; {@link compareSamples} every
 * candidate/baseline pair; {@link adjustAndDecide} (Benjamini–Hochberg across the report, then
 * {@link decide}); summarise the per-workload ratios with {@link geometricMeanRatio}.
 *
 * @module
 */

export * from "./descriptive.js";
export * from "./mann-whitney.js";
export * from "./hodges-lehmann.js";
export * from "./multiple.js";
export * from "./compare.js";
export * from "./geomean.js";
export * from "./special.js";
export * from "./ranks.js";
export * from "./wilcoxon-distribution.js";
export * from "./signed-rank.js";
export * from "./power.js";
export * from "./sequential.js";
