/** The report as Markdown for a blog post: the charts as PNG (2x, less for very large charts),
 * SVG next to them. */
import type { Block } from "./document.js";

/** Escape text from results files: no HTML passes through, no Markdown syntax is formed. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n]+/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_[\]|]/g, (c) => `\\${c}`)
    .replace(/~(?=.*~)|(?<=~.*)~/g, "\\~");
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
        out.push(escapeMarkdown(b.text), "");
        break;
      case "list":
        out.push(...b.items.map((i) => `- ${escapeMarkdown(i)}`), "");
        break;
      case "table":
        out.push(...table(b), "");
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
