/** Headless rendering: Vega-Lite -> Vega -> SVG (vega's own SVG renderer) -> PNG (resvg). */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import type * as ResvgModule from "@resvg/resvg-js";
import type { Resvg as ResvgType, ResvgRenderOptions } from "@resvg/resvg-js";
import type * as VegaModule from "vega";
import type * as VegaLiteModule from "vega-lite";
import { FONT, type VlSpec } from "./charts/common.js";
import { fontCoverage, intersectRanges } from "./font-coverage.js";

/**
 * Vega, Vega-Lite and resvg are CommonJS packages, loaded with require: an ESM import of them
 * first scans their sources for export names (cjs-module-lexer), which every render worker would
 * pay again at start-up.
 */
const require = createRequire(import.meta.url);
const vegaModule = require("vega") as typeof VegaModule;
const { parse, View } = vegaModule;
const { compile } = require("vega-lite") as typeof VegaLiteModule;
const { Resvg, renderAsync } = require("@resvg/resvg-js") as typeof ResvgModule;

/** Compile a Vega-Lite spec to Vega (throws on an invalid spec). */
export function toVega(spec: VlSpec): ReturnType<typeof compile>["spec"] {
  return compile(spec as unknown as Parameters<typeof compile>[0]).spec;
}

/**
 * Vega numbers SVG clip paths and gradients with counters shared by every render of a thread
 * (`resetSVGDefIds`, exported at run time but missing from its type declarations).
 */
const resetSvgDefIds = (vegaModule as unknown as { resetSVGDefIds?: () => void }).resetSVGDefIds;

/** Renders run one after another, so each starts its clip-path numbering afresh. */
let previous: Promise<unknown> = Promise.resolve();

/**
 * The chart as an SVG string. Each SVG numbers its clip paths from 1, so a chart's SVG does not
 * depend on which charts were rendered before it (nor on which thread renders it).
 */
export function renderSvg(spec: VlSpec): Promise<string> {
  const next = previous.then(async () => {
    const view = new View(parse(toVega(spec)), { renderer: "none" });
    try {
      await view.runAsync();
      resetSvgDefIds?.();
      return await view.toSVG();
    } finally {
      view.finalize();
    }
  });
  previous = next.catch(() => undefined);
  return next;
}

/**
 * The fonts the PNGs are drawn with: subsets of DejaVu Sans and DejaVu Sans Bold, under their
 * own family name (assets/fonts/make-subset.py says how they were made and what they hold).
 * resvg reads a font file again for every run of glyphs it lays out: with the system's
 * DejaVuSans.ttf (760 KB) the labels of a large chart read gigabytes, which was most of the
 * time resvg took to parse a chart; the 60 KB subsets draw the same pixels. Characters outside
 * them fall back to the system's fonts, as before.
 */
export const chartFontFiles = ["mallocbench-sans.ttf", "mallocbench-sans-bold.ttf"]
  .map((name) => fileURLToPath(new URL(`../../assets/fonts/${name}`, import.meta.url)))
  .filter((file) => existsSync(file));

/** The family of {@link chartFontFiles}. */
const CHART_FONT_FAMILY = "mallocbench DejaVu Sans";

/**
 * The SVG as resvg gets it: the chart font family first in the font lists that the chart specs
 * set ({@link FONT}). The SVG files keep the lists as they are. (Text from a results file
 * cannot match: vega escapes the quotes of text content.)
 */
export function forRaster(svg: string): string {
  if (chartFontFiles.length === 0) return svg;
  return svg.replaceAll(`font-family="${FONT}"`, `font-family="${CHART_FONT_FAMILY}, ${FONT}"`);
}

/**
 * Matches a character that the chart fonts (both of them) do not draw; null when a chart font
 * is missing. Built on first use from the fonts' own character maps.
 */
let uncovered: RegExp | null | undefined;

function uncoveredCharacter(): RegExp | null {
  if (uncovered !== undefined) return uncovered;
  if (chartFontFiles.length < 2) return (uncovered = null);
  const ranges = intersectRanges(chartFontFiles.map((file) => fontCoverage(readFileSync(file))));
  const hex = (c: number): string => `\\u{${c.toString(16)}}`;
  const set = ranges.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join("");
  // Tabs and line breaks in text become spaces.
  return (uncovered = new RegExp(`[^\\t\\n\\r${set}]`, "u"));
}

/**
 * Whether resvg needs the system's fonts for this SVG: unless every text element names the
 * chart fonts' list ({@link FONT}) and every character of the SVG is one both chart fonts draw,
 * in which case no glyph falls back to another font and the pixels are the same without them.
 * Loading the system's fonts costs about 10-15 ms of CPU time per chart (127 font files here),
 * paid again for every part of a split chart.
 */
export function needsSystemFonts(svg: string): boolean {
  const outside = uncoveredCharacter();
  // A character reference could name any character.
  if (outside === null || outside.test(svg) || svg.includes("&#")) return true;
  const family = `font-family="${FONT}"`;
  for (const tag of svg.matchAll(/<text\b[^>]*>/g)) if (!tag[0].includes(family)) return true;
  return false;
}

/**
 * What resvg gets for a PNG of this SVG at the scale asked for: the SVG with the chart fonts
 * first ({@link forRaster}) and the options, at the scale the pixel budget allows
 * ({@link pngScaleFor}); the system's fonts only where a character may need them
 * ({@link needsSystemFonts}).
 */
export function rasterInput(
  svg: string,
  requested: number,
  maxPixels: number,
): [string, ResvgRenderOptions] {
  return [
    forRaster(svg),
    {
      fitTo: { mode: "zoom", value: pngScaleFor(svg, requested, maxPixels) },
      background: "white",
      font: {
        loadSystemFonts: needsSystemFonts(svg),
        fontFiles: chartFontFiles,
        defaultFontFamily: "DejaVu Sans",
        sansSerifFamily: "DejaVu Sans",
      },
    },
  ];
}

/**
 * The most pixels a PNG gets: 16 megapixels (4,000 x 4,000). A chart of more CSS pixels than a
 * quarter of that (about a thousand cells, drawn as a hundred-odd facet panels) is drawn at the
 * largest scale below the one asked for, in steps of 0.25, that fits, and at 1 at least: at 2x
 * the distribution chart of a 100,000-run report would be 3,894 x 10,180 pixels (40
 * megapixels), beyond what image hosts take (8,192 pixels a side on some) and twice what a
 * screen shows of a chart that wide, which is scaled down to the page anyway; and the pixels
 * were half the time its PNG took (docs/reports.md, "Speed").
 */
export const PNG_MAX_PIXELS = 16_000_000;

/** The scale a PNG of this SVG is drawn at when `requested` is asked for ({@link PNG_MAX_PIXELS}). */
export function pngScaleFor(svg: string, requested: number, maxPixels = PNG_MAX_PIXELS): number {
  const root = /^\s*<svg\b[^>]*>/.exec(svg)?.[0] ?? "";
  const width = Number(/\swidth="([\d.]+)"/.exec(root)?.[1]);
  const height = Number(/\sheight="([\d.]+)"/.exec(root)?.[1]);
  if (!(width > 0 && height > 0) || width * height * requested ** 2 <= maxPixels) return requested;
  const fits = Math.floor(Math.sqrt(maxPixels / (width * height)) * 4) / 4;
  return Math.min(requested, Math.max(1, fits));
}

/**
 * Rasterise an SVG at `scale` (2 = sharp on high-density screens), or less for a very large chart
 * ({@link pngScaleFor}).
 */
export function svgToPng(svg: string, scale = 2, maxPixels = PNG_MAX_PIXELS): Buffer {
  const image = new Resvg(...rasterInput(svg, scale, maxPixels)).render();
  const pixels = image.pixels;
  if (!isRgba(image, pixels)) return image.asPng();
  const stride = image.width * 4;
  const rows = Buffer.allocUnsafe((stride + 1) * image.height);
  copyRows(pixels, stride, 0, image.height, rows);
  return encodePng(image, zlib.deflateSync(rows, DEFLATE));
}

/**
 * The same, resvg on this thread (a render worker's), zlib on libuv's pool, streaming the rows
 * ({@link streamPng}): the same bytes.
 */
export function svgToPngStreaming(
  svg: string,
  scale = 2,
  maxPixels = PNG_MAX_PIXELS,
): Promise<Buffer> {
  return streamPng(new Resvg(...rasterInput(svg, scale, maxPixels)).render());
}

/**
 * The same off the main thread (resvg and zlib on libuv's pool), so it overlaps with rendering
 * the next SVG.
 */
export async function svgToPngAsync(
  svg: string,
  scale = 2,
  maxPixels = PNG_MAX_PIXELS,
): Promise<Buffer> {
  return streamPng(await renderAsync(...rasterInput(svg, scale, maxPixels)));
}

/**
 * PNG compression: zlib's fastest level on unfiltered rows. A chart is mostly flat colour, which
 * that compresses well; resvg's own encoder (adaptive row filters, default level) takes about
 * 2.5 times as long for files about 10% smaller (measured on the charts of a 100,000-run report).
 */
const DEFLATE: zlib.ZlibOptions = { level: 1 };

type Image = ReturnType<ResvgType["render"]>;

/**
 * Whether the image's pixels are one RGBA quadruple per pixel, which the PNG holds as they are
 * (else resvg encodes it). resvg's pixels are premultiplied by alpha and PNG's are not, but
 * every pixel here is opaque: the background is painted white under the whole chart, and drawing
 * over an opaque pixel leaves it opaque.
 */
function isRgba(image: Image, pixels: Buffer): boolean {
  return pixels.length === image.width * 4 * image.height;
}

/** Rows `from` to `from + count` of `pixels` into `out`, each after its PNG filter byte (0: none). */
function copyRows(pixels: Buffer, stride: number, from: number, count: number, out: Buffer): void {
  for (let i = 0; i < count; i++) {
    const at = i * (stride + 1);
    out[at] = 0;
    out.set(pixels.subarray((from + i) * stride, (from + i + 1) * stride), at + 1);
  }
}

/** Bytes of rows per write to zlib: small enough to stay in cache from the copy to zlib. */
const BATCH_BYTES = 1 << 20;

/**
 * The image as a PNG, its rows compressed as a stream: batches of rows (about 1 MB) are copied
 * behind their filter bytes into one of two buffers, which zlib compresses while the other
 * fills. zlib's output does not depend on how its input is cut, so these are the bytes of
 * compressing all the rows at once ({@link svgToPng}), without a copy of the whole image: a
 * chart's rows are tens to hundreds of MB, which the kernel spends about as long mapping and
 * clearing as the copy takes.
 */
async function streamPng(image: Image): Promise<Buffer> {
  const pixels = image.pixels;
  if (!isRgba(image, pixels)) return image.asPng();
  const { width, height } = image;
  const stride = width * 4;
  const perBatch = Math.max(1, Math.floor(BATCH_BYTES / (stride + 1)));
  const deflate = zlib.createDeflate(DEFLATE);
  const idat: Buffer[] = [];
  deflate.on("data", (chunk: Buffer) => idat.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on("end", resolve);
    deflate.on("error", reject);
  });
  const buffers = [0, 1].map(() => Buffer.allocUnsafe(perBatch * (stride + 1)));
  // Resolved once zlib has consumed the batch last written from that buffer. (On an error,
  // `done` rejects.)
  const consumed: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  for (let from = 0, k = 0; from < height; from += perBatch, k ^= 1) {
    await consumed[k];
    const count = Math.min(perBatch, height - from);
    const buffer = buffers[k] as Buffer;
    copyRows(pixels, stride, from, count, buffer);
    consumed[k] = new Promise((resolve) => {
      deflate.write(buffer.subarray(0, count * (stride + 1)), () => resolve());
    });
  }
  deflate.end();
  await done;
  return encodePng(image, Buffer.concat(idat));
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG file of 8-bit RGBA rows compressed into `idat`: signature, IHDR, IDAT, IEND. */
function encodePng(image: Image, idat: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(image.width, 0);
  header.writeUInt32BE(image.height, 4);
  header[8] = 8; // bits per sample
  header[9] = 6; // colour type: RGBA
  // compression 0 (deflate), filter method 0, no interlace
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk("IHDR", header),
    chunk("IDAT", idat),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** zlib's CRC-32 (Node 20.15 and later). */
const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 (ISO-HDLC, as PNG chunks use): zlib's where Node has it, else {@link crc32Js}. */
export const crc32: (bytes: Uint8Array) => number = zlibCrc32
  ? (bytes) => zlibCrc32(bytes)
  : crc32Js;

/** CRC-32 in JavaScript, for Node versions without `zlib.crc32`. */
export function crc32Js(bytes: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < bytes.length; i++)
    c = (CRC_TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
