/**
 * Long and adversarial strings in results through every output format: the Markdown,
 * HTML, SVG and PNG report, the terminal report, compare's text, Markdown and CSV, and the CSV
 * and JSON exports. A quadratic step anywhere would take hours at these sizes, so finishing
 * within the timeout is the proof of linearity; the checks are that the output is escaped.
 * Rendering megabyte names into every chart and PNG takes minutes of CPU, so it runs with the
 * integration tests rather than the quick unit run.
 */
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compareAllocators } from "../../../src/analysis/comparisons.js";
import { formatReport } from "../../../src/analysis/format.js";
import { metricInfo } from "../../../src/analysis/metrics.js";
import { runsCsv } from "../../../src/export/csv.js";
import { writeReport } from "../../../src/report/index.js";
import { formatSummary, summarize } from "../../../src/report/run-summary.js";
import { terminalText } from "../../../src/util/text.js";
import { tempDir } from "../../helpers/cli.js";
import { syntheticResults } from "../../../testkit/synthetic.js";

// eslint-disable-next-line no-control-regex -- what the test looks for
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const n = 2 ** 20;

const cases: [string, string][] = [
  ["backslashes", "\\".repeat(n)],
  ["pipes and tildes", "|~".repeat(n / 2)],
  ["markup", "<script>]]>".repeat(n / 11)],
  ["a run and a mismatch", `${"a".repeat(n)}!`],
  ["spaces then #", `Linux ${" ".repeat(n)}x`],
  ["brackets and newlines", "[\n".repeat(n / 2)],
  ["controls and bidi", "\u001b[2J\u202e\u0000\r".repeat(n / 6)],
];

describe("long hostile strings through every output format", () => {
  it.each(cases)(
    "%s",
    async (_name, text) => {
      // Results files hold names of at most 4096 characters (checked on load); the renderers are
      // proven linear far beyond that, so the long name is put in after the synthetic file is made.
      const made = syntheticResults({
        workloads: ["larson"],
        allocators: ["glibc", "xLONGNAME"],
        threads: [1],
        runs: 3,
        failCell: undefined,
      });
      const long = JSON.stringify(`x${text}`).slice(1, -1);
      const results = JSON.parse(
        JSON.stringify(made).replaceAll("xLONGNAME", () => long),
      ) as typeof made;
      results.environment.kernel = `Linux ${text}`;
      results.environment.cpuModel = text;
      results.environment.hostname = text;
      const dir = await tempDir();
      const out = await writeReport([{ results, source: `s${text}.json`, baseline: "glibc" }], {
        outDir: dir,
        formats: ["md", "html", "svg", "png", "terminal"],
      });
      const md = await readFile(path.join(dir, "index.md"), "utf8");
      expect(md.includes("<script")).toBe(false);
      expect(RAW_CONTROL.test(md)).toBe(false);
      const html = await readFile(path.join(dir, "index.html"), "utf8");
      const own = html.replace(/<script>\/\* vega[^]*?<\/script>/g, "");
      expect(own.includes("<script>]]>")).toBe(false);
      expect(RAW_CONTROL.test(own)).toBe(false);
      const charts = path.join(dir, "charts");
      const svgs = (await readdir(charts)).filter((f) => f.endsWith(".svg"));
      expect(svgs.length).toBeGreaterThan(0);
      for (const f of svgs) {
        const svg = await readFile(path.join(charts, f), "utf8");
        expect(svg.includes("<script")).toBe(false);
        expect(RAW_CONTROL.test(svg)).toBe(false);
        // Labels are cut: a chart stays small whatever the names.
        expect(svg.length).toBeLessThan(n / 2);
      }
      expect((await readdir(charts)).some((f) => f.endsWith(".png"))).toBe(true);
      expect(RAW_CONTROL.test(terminalText(out.terminal ?? ""))).toBe(false);

      expect(RAW_CONTROL.test(terminalText(formatSummary(summarize(results, "glibc"))))).toBe(
        false,
      );
      const report = compareAllocators(results, "glibc", {
        metric: metricInfo("seconds"),
        alpha: 0.05,
        level: 0.95,
        threshold: 0.05,
      });
      for (const format of ["text", "markdown", "csv"] as const) {
        const text = formatReport(report, format);
        expect(RAW_CONTROL.test(format === "text" ? terminalText(text) : text)).toBe(false);
      }
      const json = formatReport(report, "json");
      expect(JSON.parse(terminalText(json))).toEqual(JSON.parse(json));
      const csv = runsCsv(results);
      expect(RAW_CONTROL.test(csv)).toBe(false);
      expect(csv.trimEnd().split("\n")).toHaveLength(results.runs.length + 1);
    },
    300_000,
  );
});
