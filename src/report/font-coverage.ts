/**
 * The characters a TrueType font has glyphs for, read from its `cmap` table (formats 4 and 12,
 * the Unicode subtables fontTools and every current font write).
 */

/** Code points mapped to a glyph other than .notdef, as sorted, disjoint [first, last] ranges. */
export function fontCoverage(font: Uint8Array): [number, number][] {
  const data = new DataView(font.buffer, font.byteOffset, font.byteLength);
  const cmap = tableOffset(data, "cmap");
  if (cmap === null) return [];
  const subtables = data.getUint16(cmap + 2);
  let best: { offset: number; format: number } | null = null;
  for (let i = 0; i < subtables; i++) {
    const record = cmap + 4 + i * 8;
    const platform = data.getUint16(record);
    const encoding = data.getUint16(record + 2);
    const offset = cmap + data.getUint32(record + 4);
    const format = data.getUint16(offset);
    const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10));
    // Format 12 (every plane) over format 4 (the BMP only).
    if (unicode && (format === 12 || (format === 4 && best?.format !== 12)))
      best = { offset, format };
  }
  if (!best) return [];
  const codes = best.format === 12 ? format12(data, best.offset) : format4(data, best.offset);
  return toRanges(codes);
}

function tableOffset(data: DataView, tag: string): number | null {
  const tables = data.getUint16(4);
  for (let i = 0; i < tables; i++) {
    const record = 12 + i * 16;
    const name = String.fromCharCode(...[0, 1, 2, 3].map((k) => data.getUint8(record + k)));
    if (name === tag) return data.getUint32(record + 8);
  }
  return null;
}

function format4(data: DataView, at: number): number[] {
  const segments = data.getUint16(at + 6) / 2;
  const ends = at + 14;
  const starts = ends + segments * 2 + 2;
  const deltas = starts + segments * 2;
  const rangeOffsets = deltas + segments * 2;
  const codes: number[] = [];
  for (let s = 0; s < segments; s++) {
    const end = data.getUint16(ends + s * 2);
    const start = data.getUint16(starts + s * 2);
    const delta = data.getUint16(deltas + s * 2);
    const rangeOffset = data.getUint16(rangeOffsets + s * 2);
    for (let c = start; c <= end && c !== 0xffff; c++) {
      let glyph: number;
      if (rangeOffset === 0) glyph = (c + delta) & 0xffff;
      else {
        const g = data.getUint16(rangeOffsets + s * 2 + rangeOffset + (c - start) * 2);
        glyph = g === 0 ? 0 : (g + delta) & 0xffff;
      }
      if (glyph !== 0) codes.push(c);
    }
  }
  return codes;
}

function format12(data: DataView, at: number): number[] {
  const groups = data.getUint32(at + 12);
  const codes: number[] = [];
  for (let g = 0; g < groups; g++) {
    const group = at + 16 + g * 12;
    const start = data.getUint32(group);
    const end = data.getUint32(group + 4);
    const glyph = data.getUint32(group + 8);
    for (let c = start; c <= end; c++) if (glyph + (c - start) !== 0) codes.push(c);
  }
  return codes;
}

function toRanges(codes: number[]): [number, number][] {
  const sorted = [...new Set(codes)].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const c of sorted) {
    const last = ranges.at(-1);
    if (last && last[1] === c - 1) last[1] = c;
    else ranges.push([c, c]);
  }
  return ranges;
}

/** The code points in every one of the range lists. */
export function intersectRanges(lists: [number, number][][]): [number, number][] {
  if (lists.length === 0) return [];
  let result = lists[0] as [number, number][];
  for (const other of lists.slice(1)) {
    const next: [number, number][] = [];
    for (const [a0, a1] of result)
      for (const [b0, b1] of other) {
        const lo = Math.max(a0, b0);
        const hi = Math.min(a1, b1);
        if (lo <= hi) next.push([lo, hi]);
      }
    result = next;
  }
  return result;
}
