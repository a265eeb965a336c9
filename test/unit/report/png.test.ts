import zlib from "node:zlib";
import { Resvg } from "@resvg/resvg-js";
import { describe, expect, it } from "vitest";
import {
  crc32,
  crc32Js,
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
    const image = new Resvg(SVG, {
      fitTo: { mode: "zoom", value: 2 },
      background: "white",
      font: {
        loadSystemFonts: true,
        defaultFontFamily: "DejaVu Sans",
        sansSerifFamily: "DejaVu Sans",
      },
    }).render();
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
