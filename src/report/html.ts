/**
 * The report as one self-contained HTML page: Vega, Vega-Lite and Vega-Embed are inlined (no
 * network), the chart specs travel as JSON in a non-executable script element, and every string
 * from the results is escaped for its context.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { terminalText } from "../util/text.js";
import type { Block } from "./document.js";

const require = createRequire(import.meta.url);

/**
 * Escape text for HTML element content and double-quoted attribute values; control and bidi
 * characters (which would hide or reorder what a reader sees) are shown as `\uXXXX`.
 */
export function escapeHtml(text: string): string {
  return terminalText(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * JSON that is safe inside <script type="application/json">: no "<" at all (so no "</script"
 * or "<!--"), no ">" or "&", and no U+2028/U+2029; JSON.parse reads it back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function libraryFile(pkg: string, file: string): string {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const candidate = path.join(dir, pkg, "build", file);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`cannot find ${pkg}/build/${file}: is ${pkg} installed?`);
}

let libraries: string | undefined;

/** The three browser bundles, each in its own script element. */
function inlineLibraries(): string {
  libraries ??= [
    ["vega", "vega.min.js"],
    ["vega-lite", "vega-lite.min.js"],
    ["vega-embed", "vega-embed.min.js"],
  ]
    .map(([pkg, file]) => {
      const code = readFileSync(libraryFile(pkg as string, file as string), "utf8").replace(
        /<\/script/gi,
        "<\\/script",
      );
      return `<script>/* ${pkg} (BSD-3-Clause, inlined) */\n${code}\n</script>`;
    })
    .join("\n");
  return libraries;
}

/** Tables longer than this are folded into a <details> element, closed. */
export const FOLD_ROWS = 15;

/** A heading's anchor: lower-case words joined by "-", numbered when repeated. */
function anchorOf(text: string, used: Map<string, number>): string {
  const base =
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "section";
  const n = (used.get(base) ?? 0) + 1;
  used.set(base, n);
  return n === 1 ? base : `${base}-${n}`;
}

function table(block: Extract<Block, { kind: "table" }>): string {
  const numeric = new Set(block.numeric);
  const cell = (tag: string, text: string, i: number): string =>
    `<${tag}${numeric.has(i) ? ' class="num"' : ""}>${escapeHtml(text)}</${tag}>`;
  const head = block.head.some((h) => h !== "")
    ? `<thead><tr>${block.head.map((h, i) => cell("th", h, i)).join("")}</tr></thead>`
    : "";
  const body = block.rows.map((r) => `<tr>${r.map((c, i) => cell("td", c, i)).join("")}</tr>`);
  const html = `<div class="table"><table>${head}<tbody>${body.join("\n")}</tbody></table></div>`;
  return block.rows.length > FOLD_ROWS
    ? `<details><summary>Show the table (${block.rows.length} rows)</summary>${html}</details>`
    : html;
}

const STYLE = `
body{font-family:"DejaVu Sans",Verdana,Helvetica,Arial,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45;overflow-wrap:anywhere}
h1{margin-top:0}
nav.toc{font-size:.9em;border:1px solid #ddd;padding:.3em 1em;margin:1em 0;display:inline-block}
nav.toc ol{margin:.3em 0;padding-left:1.3em}
details>summary{cursor:pointer;color:#245;margin:.3em 0}
.chart,.vega-embed{max-width:100%}
.chart svg{max-width:100%;height:auto}
h1{font-size:1.7em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0 1.5em}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.table{overflow-x:auto}
figure{margin:1.5em 0;overflow-x:auto;max-width:100%}
figcaption{font-size:.85em;color:#555}
.hint{font-size:.85em;color:#555}
#vg-tooltip-element{font-size:12px}
`;

const INIT = `
(function () {
  var specs = JSON.parse(document.getElementById("mb-specs").textContent);
  var pending = 0;
  Object.keys(specs).forEach(function (id) {
    var el = document.getElementById("chart-" + id);
    if (!el) return;
    pending++;
    vegaEmbed(el, specs[id], { actions: false, renderer: "svg" })
      .then(function () { el.setAttribute("data-rendered", "true"); })
      .catch(function (e) { el.setAttribute("data-error", String(e)); console.error(e); })
      .finally(function () { if (--pending === 0) document.body.setAttribute("data-charts-done", "true"); });
  });
  if (pending === 0) document.body.setAttribute("data-charts-done", "true");
})();
`;

export function renderHtml(blocks: Block[], title: string): string {
  const out: string[] = [];
  const specs: Record<string, unknown> = {};
  const used = new Map<string, number>();
  const anchors = blocks.map((b) => (b.kind === "heading" ? anchorOf(b.text, used) : ""));
  const sections = blocks.flatMap((b, i) =>
    b.kind === "heading" && b.level === 2 ? [{ text: b.text, id: anchors[i] as string }] : [],
  );
  // The contents go before the first section, after the headline and its chart.
  const tocAt = blocks.findIndex((b) => b.kind === "heading" && b.level === 2);
  for (const [i, b] of blocks.entries()) {
    if (i === tocAt && sections.length > 1)
      out.push(
        `<nav class="toc" aria-label="Contents"><strong>Contents</strong><ol>${sections
          .map((s) => `<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.text)}</a></li>`)
          .join("")}</ol></nav>`,
      );
    switch (b.kind) {
      case "heading":
        out.push(
          `<h${b.level} id="${escapeHtml(anchors[i] as string)}">${escapeHtml(b.text)}</h${b.level}>`,
        );
        break;
      case "paragraph":
        out.push(`<p>${escapeHtml(b.text)}</p>`);
        break;
      case "list":
        out.push(`<ul>${b.items.map((i) => `<li>${escapeHtml(i)}</li>`).join("")}</ul>`);
        break;
      case "table":
        out.push(table(b));
        break;
      case "index":
        out.push(
          `<p>${escapeHtml(b.text)}</p><ol class="parts">${b.items
            .map(
              (item) =>
                `<li><a href="#chart-${escapeHtml(item.chart)}">${escapeHtml(item.text)}</a></li>`,
            )
            .join("")}</ol>`,
        );
        break;
      case "chart": {
        const { id, alt, title: heading } = b.chart;
        specs[id] = b.chart.spec;
        out.push(
          `<figure><div class="chart" id="chart-${escapeHtml(id)}" role="img" aria-label="${escapeHtml(alt)}"></div>` +
            `<figcaption>${escapeHtml(heading)}: ${escapeHtml(alt)} Hover for the numbers; click an allocator in the legend to show it alone (shift-click for several, double-click to reset).</figcaption></figure>`,
        );
        break;
      }
    }
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${out.join("\n")}
<script type="application/json" id="mb-specs">${jsonForScript(specs)}</script>
${inlineLibraries()}
<script>${INIT}</script>
</body>
</html>
`;
}
