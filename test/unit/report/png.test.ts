import zlib from "node:zlib";
import { Resvg } from "@resvg/resvg-js";
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { FONT } from "../../../src/report/charts/common.js";
import { fontCoverage, intersectRanges } from "../../../src/report/font-coverage.js";
import {
  chartFontFiles,
  crc32,
  crc32Js,
  forRaster,
  needsSystemFonts,
  PNG_MAX_PIXELS,
  pngScaleFor,
  svgToPng,
  svgToPngAsync,
  svgToPngStreaming,
} from "../../../src/report/render.js";

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="50">
  <rect x="5" y="5" width="60" height="30" fill="#1f77b4" fill-opacity="0.5"/>
  <circle cx="90" cy="25" r="18" fill="#d62728"/>
  <text x="8" y="46" font-family="sans-serif" font-size="10">p99 latency</text>
</svg>`;

interface Chunk {
  type: string;
  data: Buffer;
  crc: number;
  computed: number;
}

/** resvg at 2x with the system's fonts only (as before the bundled chart fonts). */
function systemRender(svg: string): ReturnType<Resvg["render"]> {
  return new Resvg(svg, {
    fitTo: { mode: "zoom", value: 2 },
    background: "white",
    font: {
      loadSystemFonts: true,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  }).render();
}

/** The pixels of a PNG that svgToPng wrote (unfiltered rows). */
function pixelsOf(png: Buffer): { width: number; height: number; pixels: Buffer } {
  const list = chunks(png);
  const ihdr = (list[0] as Chunk).data;
  const [width, height] = [ihdr.readUInt32BE(0), ihdr.readUInt32BE(4)];
  const rows = zlib.inflateSync((list[1] as Chunk).data);
  const pixels = Buffer.alloc(width * 4 * height);
  for (let y = 0; y < height; y++)
    rows.copy(pixels, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  return { width, height, pixels };
}

function chunks(png: Buffer): Chunk[] {
  const out: Chunk[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString("latin1", at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    out.push({
      type,
      data,
      crc: png.readUInt32BE(at + 8 + length),
      computed: crc32(png.subarray(at + 4, at + 8 + length)),
    });
    at += 12 + length;
  }
  return out;
}

describe("PNG encoding", () => {
  it("crc32 is CRC-32/ISO-HDLC", () => {
    for (const f of [crc32, crc32Js]) {
      expect(f(Buffer.from("123456789"))).toBe(0xcbf43926);
      expect(f(Buffer.alloc(0))).toBe(0);
    }
    const bytes = Buffer.from(Array.from({ length: 4099 }, (_, i) => (i * 7919) % 251));
    expect(crc32Js(bytes)).toBe(crc32(bytes));
  });

  it("holds exactly resvg's pixels at 2x, as valid chunks", async () => {
    const png = svgToPng(SVG, 2);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    const list = chunks(png);
    expect(list.map((c) => c.type)).toEqual(["IHDR", "IDAT", "IEND"]);
    for (const c of list) expect(c.crc, c.type).toBe(c.computed);
    const ihdr = (list[0] as Chunk).data;
    const [width, height] = [ihdr.readUInt32BE(0), ihdr.readUInt32BE(4)];
    expect([width, height]).toEqual([240, 100]);
    expect([...ihdr.subarray(8)]).toEqual([8, 6, 0, 0, 0]); // 8-bit RGBA, no interlace
    const rows = zlib.inflateSync((list[1] as Chunk).data);
    expect(rows.length).toBe((width * 4 + 1) * height);
    const pixels = Buffer.alloc(width * 4 * height);
    for (let y = 0; y < height; y++) {
      expect(rows[y * (width * 4 + 1)]).toBe(0); // filter: none
      rows.copy(pixels, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
    }
    const image = systemRender(SVG);
    expect(pixels.equals(image.pixels)).toBe(true);
    // Opaque everywhere (the white background under a half-transparent shape too), so resvg's
    // premultiplied pixels are PNG's plain ones.
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 255) expect.fail(`alpha at ${i}`);
    // Not a blank image: the blue, the red and the text are there.
    expect(
      new Set(Array.from({ length: width * height }, (_, i) => pixels.readUInt32BE(i * 4))).size,
    ).toBeGreaterThan(10);
    expect((await svgToPngAsync(SVG, 2)).equals(png)).toBe(true);
    expect((await svgToPngStreaming(SVG, 2)).equals(png)).toBe(true);
    expect(svgToPng(SVG, 3).equals(png)).toBe(false);
    expect(svgToPng(SVG, 2).equals(png)).toBe(true);
  });

  it("draws chart text with the bundled DejaVu subsets: the pixels of the system's DejaVu Sans", () => {
    expect(chartFontFiles).toHaveLength(2);
    // Every character the subsets hold (assets/fonts/make-subset.py), 48 to a line, regular and
    // bold, plus characters they lack (CJK), which fall back to the system's fonts. (An emoji, which no
    // font here has, is drawn as a missing glyph either way, but not with the same pixels.)
    const held = [
      [0x20, 0x7f],
      [0xa0, 0x180],
      [0x391, 0x3aa],
      [0x3b1, 0x3ca],
      [0x2010, 0x2028],
      [0x2030, 0x203b],
      [0x2070, 0x20a0],
      [0x2190, 0x219a],
    ].flatMap(([from, to]) =>
      Array.from({ length: (to as number) - (from as number) }, (_, i) => (from as number) + i),
    );
    const text = String.fromCodePoint(
      ...held,
      0x2212,
      0x2264,
      0x2265,
      0x2248,
      0x221a,
      0x4e2d,
      0x6587,
    );
    const lines = Array.from({ length: Math.ceil(text.length / 48) }, (_, i) =>
      text.slice(i * 48, (i + 1) * 48),
    );
    const escape = (line: string) =>
      line.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="520" height="${lines.length * 36 + 10}">${lines
      .map(
        (line, i) =>
          `<text x="4" y="${i * 36 + 16}" font-family="${FONT}" font-size="11px">${escape(line)}</text>` +
          `<text x="4" y="${i * 36 + 32}" font-family="${FONT}" font-size="13px" font-weight="bold">${escape(line)}</text>`,
      )
      .join("")}</svg>`;
    expect(forRaster(svg)).toContain('font-family="mallocbench DejaVu Sans, DejaVu Sans,');
    const drawn = pixelsOf(svgToPng(svg, 2));
    const system = systemRender(svg);
    expect([drawn.width, drawn.height]).toEqual([system.width, system.height]);
    expect(drawn.pixels.equals(system.pixels)).toBe(true);
    // Text was drawn (not a blank page on both sides): thousands of inked pixels.
    let inked = 0;
    for (let i = 0; i < drawn.pixels.length; i += 4) if (drawn.pixels[i] !== 255) inked++;
    expect(inked).toBeGreaterThan(20_000);
  });

  it("reads the characters each chart font draws from its character map", () => {
    const [regular, bold] = chartFontFiles.map((f) => fontCoverage(readFileSync(f)));
    const both = intersectRanges([regular ?? [], bold ?? []]);
    const has = (c: number) => both.some(([a, b]) => a <= c && c <= b);
    // make-subset.py's ranges, less what DejaVu Sans lacks in them (U+03A2 is unassigned).
    for (const c of [0x20, 0x41, 0x7e, 0xa0, 0xe9, 0x17f, 0x3b1, 0x2212, 0x2264, 0x2265, 0xfffd])
      expect(has(c)).toBe(true);
    for (const c of [0x1f, 0x7f, 0x180, 0x3a2, 0x2072, 0x4e2d, 0x1f600]) expect(has(c)).toBe(false);
  });

  it("loads the system's fonts only for text the chart fonts may not draw: the same pixels", () => {
    const text = (chars: string, attrs = `font-family="${FONT}"`) =>
      `<svg xmlns="http://www.w3.org/2000/svg" width="520" height="40"><text x="4" y="16" ${attrs} font-size="11px">${chars}</text><text x="4" y="32" ${attrs} font-weight="bold" font-size="13px">${chars}</text></svg>`;
    const covered = intersectRanges(chartFontFiles.map((f) => fontCoverage(readFileSync(f))))
      .flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i))
      .filter((c) => c > 0x20 && c !== 0x26 && c !== 0x3c);
    // Every character both fonts draw, 60 to an SVG: drawn without the system's fonts, with
    // the pixels of the system's DejaVu Sans.
    for (let i = 0; i < covered.length; i += 60) {
      const svg = text(String.fromCodePoint(...covered.slice(i, i + 60)));
      expect(needsSystemFonts(svg)).toBe(false);
      expect(pixelsOf(svgToPng(svg, 2)).pixels.equals(systemRender(svg).pixels)).toBe(true);
    }
    expect(needsSystemFonts(text("p99 &lt; 5 µs ≤ 2×"))).toBe(false);
    // A character they lack, one a reference could name, text in another family: loaded.
    expect(needsSystemFonts(text("中文"))).toBe(true);
    expect(needsSystemFonts(text("U+03A2: \u03a2"))).toBe(true);
    expect(needsSystemFonts(text("&#x4e2d;"))).toBe(true);
    expect(needsSystemFonts(text("plain", 'font-family="Noto Sans CJK"'))).toBe(true);
    expect(needsSystemFonts(text("plain", ""))).toBe(true);
  });

  it("draws a chart at 2x up to 16 megapixels, a larger one at the largest quarter step that fits", () => {
    const svg = (w: number, h: number) =>
      `<svg xmlns="http://www.w3.org/2000/svg" class="marks" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><rect width="${w}" height="${h}" fill="#1f77b4"/></svg>`;
    expect(PNG_MAX_PIXELS).toBe(16_000_000);
    expect(pngScaleFor(svg(2000, 2000), 2)).toBe(2); // exactly 16 Mpx at 2x
    expect(pngScaleFor(svg(2001, 2000), 2)).toBe(1.75); // sqrt(16e6 / 4.002e6) = 1.9995
    // The distribution chart of the 100,000-run benchmark: 1947 x 5090 CSS pixels.
    expect(pngScaleFor(svg(1947, 5090), 2)).toBe(1.25); // 2433 x 6362 pixels, 15.5 Mpx
    expect(pngScaleFor(svg(5000, 5000), 2)).toBe(1); // never below 1x, even over the budget
    expect(pngScaleFor(svg(1947, 5090), 1)).toBe(1);
    expect(pngScaleFor(svg(3000, 3000), 1.5)).toBe(1.25); // below the scale asked for
    expect(pngScaleFor("<svg>no size</svg>", 2)).toBe(2);
    const ihdr = (png: Buffer) => [png.readUInt32BE(16), png.readUInt32BE(20)];
    expect(ihdr(svgToPng(svg(3000, 2500), 2))).toEqual([3750, 3125]); // 1.25x: 11.7 Mpx
    expect(ihdr(svgToPng(svg(300, 250), 2))).toEqual([600, 500]);
  });

  it("streams the rows of a large image to zlib in batches: the same bytes", async () => {
    // 1,200 x 4,000 pixels at 2x: 19 MB of rows, about 19 batches, the last one partial.
    const tall = `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="2000">
      ${Array.from({ length: 40 }, (_, i) => `<rect x="${i * 13}" y="${i * 49}" width="80" height="60" fill="#${((i * 0x2a7f3) & 0xffffff).toString(16).padStart(6, "0")}"/>`).join("")}
      <text x="10" y="1990" font-family="sans-serif" font-size="12">bottom row</text>
    </svg>`;
    const png = svgToPng(tall, 2);
    const rows = zlib.inflateSync((chunks(png)[1] as Chunk).data);
    expect(rows.length).toBe((1200 * 4 + 1) * 4000);
    expect((await svgToPngStreaming(tall, 2)).equals(png)).toBe(true);
    // Several at once, as on the main thread: each has its own buffers.
    const many = await Promise.all([svgToPngAsync(tall, 2), svgToPngAsync(SVG, 2)]);
    expect(many[0]?.equals(png)).toBe(true);
    expect(many[1]?.equals(svgToPng(SVG, 2))).toBe(true);
  });
});
