import { describe, expect, it } from "vitest";
import { escapeHtml } from "../../../src/report/html.js";
import {
  clipLabel,
  csvCell,
  escapeMarkdown,
  LABEL_MAX,
  showControls,
  terminalText,
} from "../../../src/util/text.js";

/** Raw characters that a terminal, a spreadsheet or a renderer acts on. */
// eslint-disable-next-line no-control-regex -- what the test looks for
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("control characters", () => {
  it("are shown as \\uXXXX escapes: ESC sequences, CR, C1, DEL, NUL, bidi overrides", () => {
    expect(showControls("a\u001b[2Jb")).toBe("a\\u001b[2Jb");
    expect(showControls("ok\rFAKE")).toBe("ok\\u000dFAKE");
    expect(showControls("\u009b31m\u007f\u0000\u202eevil")).toBe(
      "\\u009b31m\\u007f\\u0000\\u202eevil",
    );
    expect(showControls("line\nnext\t")).toBe("line\\u000anext\\u0009");
    expect(terminalText("line\nnext\tx\u001b]0;t\u0007")).toBe("line\nnext\tx\\u001b]0;t\\u0007");
  });
  it("stay valid JSON when JSON text goes through them", () => {
    const json = JSON.stringify({ name: "a\u007f\u0085\u202e\u2028b" });
    expect(JSON.parse(terminalText(json))).toEqual(JSON.parse(json));
  });
});

describe("csvCell", () => {
  it.each([
    ["=1+1", "'=1+1"],
    ["+cmd", "'+cmd"],
    ["-2+3", "'-2+3"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\t=x", "\\u0009=x"],
    ["=a,b", `"'=a,b"`],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", "two\\u000alines"],
    [" padded", '" padded"'],
    ["plain", "plain"],
    ["-1.5", "-1.5"],
  ])("%j -> %s", (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });
  it("writes numbers as they are", () => {
    expect(csvCell(-3)).toBe("-3");
    expect(csvCell(undefined)).toBe("");
  });
});

describe("escapeMarkdown and escapeHtml", () => {
  it("escape what would form Markdown or HTML", () => {
    const md = escapeMarkdown("a|b`c`<script>]]>*_~~x~~\n#!\u202e\u0000");
    expect(md).toBe(
      "a\\|b\\`c\\`&lt;script&gt;\\]\\]&gt;\\*\\_\\~\\~x\\~\\~ \\#\\!\\\\u202e\\\\u0000",
    );
    expect(escapeHtml(`<script>"'&]]>\u202e`)).toBe("&lt;script&gt;&quot;&#39;&amp;]]&gt;\\u202e");
  });
});

describe("clipLabel", () => {
  it("keeps short labels and cuts long ones with a hash of the whole", () => {
    expect(clipLabel("jemalloc")).toBe("jemalloc");
    const a = clipLabel(`${"x".repeat(500)}a`);
    const b = clipLabel(`${"x".repeat(500)}b`);
    expect(a.length).toBeLessThanOrEqual(LABEL_MAX);
    expect(a).not.toBe(b);
  });
});

/**
 * Every escaping function is one pass: at 1 MiB a quadratic one does 10^12 steps, a quarter of
 * an hour or more, so finishing within the test's 30 s timeout is the proof. Each input is one
 * that backtracking or repeated scanning regexes blow up on.
 */
describe("text paths are linear in their input", () => {
  const n = 2 ** 20;
  const inputs: [string, string][] = [
    ["backslashes", "\\".repeat(n)],
    ["pipes", "|".repeat(n)],
    ["angle brackets", "<".repeat(n)],
    ["tildes", "~".repeat(n)],
    ["a run and a mismatch", `${"a".repeat(n)}!`],
    ["spaces", `${" ".repeat(n)}x`],
    ["newlines", "\n".repeat(n)],
    ["ESC", "\u001b".repeat(n)],
    ["combining marks", `e${"\u0301".repeat(n)}`],
  ];
  it.each(inputs)(
    "%s: every escape completes and is correct",
    (_name, text) => {
      const md = escapeMarkdown(text);
      expect(md.includes("\n")).toBe(false);
      expect(RAW_CONTROL.test(md)).toBe(false);
      expect(md.includes("<")).toBe(false);
      const html = escapeHtml(text);
      expect(html.includes("<")).toBe(false);
      expect(RAW_CONTROL.test(terminalText(text))).toBe(false);
      const cell = csvCell(text);
      expect(RAW_CONTROL.test(cell)).toBe(false);
      expect(/^"?[=+\-@]/.test(cell)).toBe(false);
      expect(clipLabel(text).length).toBeLessThanOrEqual(LABEL_MAX);
    },
    30_000,
  );
});
