import { testbedOf } from "../analysis/testbed.js";
import { cellSummaries } from "./cells.js";
import type { Exporter } from "./exporter.js";

/** The testbed, the plan and one summary per cell and metric. */
export const jsonExporter: Exporter = {
  name: "json",
  describe: "per-cell summaries with the testbed and the plan",
  serialize: (results) =>
    `${JSON.stringify({ testbed: testbedOf(results), plan: results.plan, cells: cellSummaries(results) }, null, 2)}\n`,
};
