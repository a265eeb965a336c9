/**
 * One colour and one shape per allocator, the same in every chart of every report: known
 * allocators have fixed entries (Okabe-Ito colours, distinguishable with colour-vision
 * deficiencies); others take the remaining entries in the order they appear.
 */

/** Display order of the well-known allocators; others follow alphabetically. */
const KNOWN = ["glibc", "musl", "jemalloc", "tcmalloc", "mimalloc", "scudo"] as const;

const FIXED: Record<(typeof KNOWN)[number], { color: string; shape: string; dash: number[] }> = {
  glibc: { color: "#0072B2", shape: "circle", dash: [] },
  musl: { color: "#D55E00", shape: "square", dash: [6, 3] },
  jemalloc: { color: "#009E73", shape: "triangle-up", dash: [2, 2] },
  tcmalloc: { color: "#E69F00", shape: "diamond", dash: [8, 3, 2, 3] },
  mimalloc: { color: "#CC79A7", shape: "cross", dash: [1, 3] },
  scudo: { color: "#56B4E9", shape: "triangle-down", dash: [10, 4] },
};

const SPARE_COLORS = ["#000000", "#999999", "#8C564B", "#7F7F00", "#17BECF", "#9467BD", "#BCBD22"];
const SPARE_SHAPES = ["triangle-right", "triangle-left", "wedge", "stroke", "arrow"];
const SPARE_DASHES = [
  [4, 4],
  [12, 2],
  [3, 6],
  [6, 2, 2, 2],
  [2, 6],
];

export function allocatorOrder(names: readonly string[]): string[] {
  const unique = [...new Set(names)];
  const known = KNOWN.filter((k) => unique.includes(k));
  const others = unique.filter((n) => !(KNOWN as readonly string[]).includes(n)).sort();
  return [...known, ...others];
}

export interface Palette {
  domain: string[];
  colors: string[];
  shapes: string[];
  dashes: number[][];
}

/** The scales for `allocators` (the report's whole domain, see allocatorOrder). */
export function paletteFor(allocators: readonly string[]): Palette {
  const domain = allocatorOrder(allocators);
  let spare = 0;
  const entries = domain.map((name) => {
    const fixed = (FIXED as Record<string, (typeof FIXED)["glibc"]>)[name];
    if (fixed) return fixed;
    const i = spare++;
    return {
      color: SPARE_COLORS[i % SPARE_COLORS.length] as string,
      shape: SPARE_SHAPES[i % SPARE_SHAPES.length] as string,
      dash: SPARE_DASHES[i % SPARE_DASHES.length] as number[],
    };
  });
  return {
    domain,
    colors: entries.map((e) => e.color),
    shapes: entries.map((e) => e.shape),
    dashes: entries.map((e) => e.dash),
  };
}
