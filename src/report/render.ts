/** Headless rendering: Vega-Lite -> Vega -> SVG (vega's own SVG renderer) -> PNG (resvg). */
import { promisify } from "node:util";
import zlib from "node:zlib";
import { Resvg, renderAsync, type ResvgRenderOptions } from "@resvg/resvg-js";
import * as vegaModule from "vega";
import { parse, View } from "vega";
import { compile } from "vega-lite";
import type { VlSpec } from "./charts/common.js";

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
 * The chart as an SVG string, a static image: without the spec's tooltips (see
 * {@link withoutTooltips}). Each SVG numbers its clip paths from 1, so a chart's SVG does not
 * depend on which charts were rendered before it (nor on which thread renders it).
 */
export function renderSvg(spec: VlSpec): Promise<string> {
  const next = previous.then(async () => {
    const view = new View(parse(toVega(withoutTooltips(spec))), { renderer: "none" });
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

/** Keys of a Vega-Lite view that hold views in turn (layers, facets, repeats, concatenations). */
const SUBVIEWS = ["layer", "spec", "concat", "hconcat", "vconcat"] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function without(record: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}

/**
 * The spec without tooltips (the `tooltip` encodings and mark properties of its views), which a
 * static image cannot show: the same pixels, about 20% less Vega time on large charts (Vega-Lite
 * no longer formats every tooltip field into each mark's ARIA label, which then names only the
 * fields the mark encodes). Copies only the views it changes: `spec` and its data are left as
 * they are (the interactive HTML and the .vl.json files keep the tooltips).
 */
export function withoutTooltips(spec: VlSpec): VlSpec {
  const out: VlSpec = { ...spec };
  if (isRecord(spec.encoding) && "tooltip" in spec.encoding)
    out.encoding = without(spec.encoding, "tooltip");
  if (isRecord(spec.mark) && "tooltip" in spec.mark) out.mark = without(spec.mark, "tooltip");
  for (const key of SUBVIEWS) {
    const views = spec[key];
    if (Array.isArray(views))
      out[key] = views.map((v: unknown) => (isRecord(v) ? withoutTooltips(v) : v));
    else if (isRecord(views)) out[key] = withoutTooltips(views);
  }
  return out;
}

function pngOptions(scale: number): ResvgRenderOptions {
  return {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: {
      loadSystemFonts: true,
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  };
}

/** Rasterise an SVG at `scale` (2 = sharp on high-density screens). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const image = new Resvg(svg, pngOptions(scale)).render();
  const raw = filteredRows(image, scratch);
  return raw ? encodePng(image, zlib.deflateSync(raw, DEFLATE)) : image.asPng();
}

/** The same off the main thread (libuv's pool), so it overlaps with rendering the next SVG. */
export async function svgToPngAsync(svg: string, scale = 2): Promise<Buffer> {
  const image = await renderAsync(svg, pngOptions(scale));
  // Fresh memory: several of these may be compressing at once.
  const raw = filteredRows(image, (size) => Buffer.allocUnsafe(size));
  return raw ? encodePng(image, await deflate(raw, DEFLATE)) : image.asPng();
}

const deflate = promisify(zlib.deflate);

/**
 * PNG compression: zlib's fastest level on unfiltered rows. A chart is mostly flat colour, which
 * that compresses well; resvg's own encoder (adaptive row filters, default level) takes about
 * 2.5 times as long for files about 10% smaller (measured on the charts of a 100,000-run report).
 */
const DEFLATE: zlib.ZlibOptions = { level: 1 };

type Image = ReturnType<Resvg["render"]>;

/**
 * The image's rows as RGBA, each after its PNG filter byte (0: none). resvg's pixels are
 * premultiplied by alpha and PNG's are not, but every pixel here is opaque: the background is
 * painted white under the whole chart, and drawing over an opaque pixel leaves it opaque.
 * (Null, and resvg encodes the image, if its pixels are not one RGBA quadruple per pixel.)
 */
function filteredRows(image: Image, alloc: (size: number) => Buffer): Buffer | null {
  const pixels = image.pixels;
  const { width, height } = image;
  const stride = width * 4;
  if (pixels.length !== stride * height) return null;
  const rows = alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const at = y * (stride + 1);
    rows[at] = 0;
    rows.set(pixels.subarray(y * stride, (y + 1) * stride), at + 1);
  }
  return rows;
}

/**
 * The rows of the largest image {@link svgToPng} encoded so far, kept for the next one, which
 * overwrites them (the deflate of the last is done with them): a chart's rows are tens to
 * hundreds of MB, and fresh memory of that size costs the kernel about as much to map and clear
 * as filling it. (Render workers call svgToPng; this thread's rendering uses svgToPngAsync.)
 */
let rowsScratch: Buffer | null = null;

function scratch(size: number): Buffer {
  if (!rowsScratch || rowsScratch.length < size) rowsScratch = Buffer.allocUnsafeSlow(size);
  return rowsScratch.subarray(0, size);
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
