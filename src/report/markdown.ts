/** The report as Markdown for a blog post: the charts as PNG (2x, less for very large charts),
 * SVG next to them. */
import { escapeMarkdown } from "../util/text.js";
import type { Block } from "./document.js";

export { escapeMarkdown };

/**
 * {@link escapeMarkdown} for the start of a block: leading spaces would make a code block, and a
 * leading + - = or "1." a list item or a heading's underline.
 */
function escapeBlock(text: string): string {
  const escaped = escapeMarkdown(text.trimStart());
  const first = /^(?:[+\-=]|\d+[.)])/.exec(escaped)?.[0];
  if (first === undefined) return escaped;
  return `${first.slice(0, -1)}\\${escaped.slice(first.length - 1)}`;
}

function table(block: Extract<Block, { kind: "table" }>): string[] {
  const numeric = new Set(block.numeric);
  const row = (cells: string[]): string => `| ${cells.map(escapeMarkdown).join(" | ")} |`;
  return [
    row(block.head),
    `|${block.head.map((_, i) => (numeric.has(i) ? " ---: " : " --- ")).join("|")}|`,
    ...block.rows.map(row),
  ];
}

export function renderMarkdown(blocks: Block[], chartDir = "charts"): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case "heading":
        out.push(`${"#".repeat(b.level)} ${escapeMarkdown(b.text)}`, "");
        break;
      case "paragraph":
        out.push(escapeBlock(b.text), "");
        break;
      case "list":
        out.push(...b.items.map((i) => `- ${escapeBlock(i)}`), "");
        break;
      case "table":
        out.push(...table(b), "");
        break;
      case "index":
        // Each part is a link to its image: a Markdown page has no anchors on images.
        out.push(
          escapeBlock(b.text),
          "",
          ...b.items.map(
            (item, i) => `${i + 1}. [${escapeMarkdown(item.text)}](${chartDir}/${item.chart}.png)`,
          ),
          "",
        );
        break;
      case "chart": {
        const { id, alt } = b.chart;
        out.push(
          `![${escapeMarkdown(alt)}](${chartDir}/${id}.png)`,
          "",
          `[SVG](${chartDir}/${id}.svg) · [Vega-Lite spec](${chartDir}/${id}.vl.json)`,
          "",
        );
        break;
      }
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}
