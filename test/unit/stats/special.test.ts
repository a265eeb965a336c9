import { describe, expect, it } from "vitest";
import {
  binomialHalfCdf,
  erfc,
  normalQuantile,
  normalSf,
  studentTCdf,
  studentTQuantile,
} from "../../../src/stats/special.js";
import { expectClose } from "./helpers.js";

describe("erfc and the normal distribution", () => {
  it("matches scipy.special.erfc", () => {
    // SciPy 1.17.1, scipy.special.erfc(x)
    const xs = [0.1, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, -1.0];
    const expected = [
      0.8875370839817152, 0.4795001221869535, 0.2888443663464849, 0.15729920705028516,
      0.03389485352468927, 0.004677734981047266, 2.2090496998585445e-5, 1.5374597944280347e-12,
      2.0884875837625446e-45, 1.8427007929497148,
    ];
    xs.forEach((x, i) => expectClose(erfc(x), expected[i] ?? Number.NaN, 1e-14));
    expect(erfc(0)).toBe(1);
    expect(erfc(40)).toBe(0);
  });

  it("normalSf matches scipy.stats.norm.sf", () => {
    // SciPy 1.17.1, scipy.stats.norm.sf(z)
    const zs = [0, 1, 1.96, 3, 6, 10];
    const expected = [
      0.5, 0.15865525393145707, 0.024997895148220435, 0.0013498980316300933, 9.865876450376946e-10,
      7.61985302416047e-24,
    ];
    // 1e-13: the far tail inherits the rounding of z/√2 through exp(−z²/2).
    zs.forEach((z, i) => expectClose(normalSf(z), expected[i] ?? Number.NaN, 1e-13));
  });

  it("normalQuantile matches R qnorm", () => {
    // R 4.2.2, qnorm(c(0.975, 0.995, 0.5, 0.025, 1e-10, 0.7))
    const ps = [0.975, 0.995, 0.5, 0.025, 1e-10, 0.7];
    const expected = [
      1.9599639845400536, 2.5758293035488999, 0, -1.9599639845400538, -6.3613409024040557,
      0.52440051270804067,
    ];
    ps.forEach((p, i) => expectClose(normalQuantile(p), expected[i] ?? Number.NaN, 1e-14));
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(() => normalQuantile(1.5)).toThrow(RangeError);
  });
});

describe("Student t", () => {
  // SciPy 1.17.1, scipy.stats.t.ppf(p, df). (R 4.2.2 qt() agrees to ~1e-15; Debian's SciPy 1.10.1
  // is off by up to 2e-9 for some df, so it is not used here.)
  const dfs = [1, 2, 3, 4, 5, 7, 9, 10, 19, 29, 30, 49, 100, 1000];
  const ppf: Record<string, number[]> = {
    "0.975": [
      12.706204736174694, 4.302652729749462, 3.1824463052837078, 2.7764451051977934,
      2.5705818356363146, 2.364624251592784, 2.262157162798205, 2.228138851986274,
      2.0930240544083087, 2.045229642132703, 2.0422724563012378, 2.0095752371292392,
      1.9839715185235518, 1.9623390808264083,
    ],
    "0.95": [
      6.313751514675037, 2.9199855803537242, 2.3533634348018233, 2.1318467863266495,
      2.0150483733330233, 1.8945786050900062, 1.833112932656237, 1.8124611228116756,
      1.7291328115213682, 1.6991270265334972, 1.697260886593957, 1.6765508926168535,
      1.6602343260853392, 1.6463788172854643,
    ],
    "0.995": [
      63.656741162871526, 9.924843200918287, 5.840909309733355, 4.604094871349992,
      4.032142983555228, 3.4994832973504924, 3.249835541592126, 3.16927267261695,
      2.8609346064649794, 2.756385903670605, 2.7499956535672254, 2.679951973631552,
      2.6258905214380173, 2.580754698065951,
    ],
    "0.9995": [
      636.6192487687897, 31.599054576445365, 12.923978636687961, 8.610301581379522,
      6.868826625881276, 5.407882520861828, 4.780912585931217, 4.586893858702708, 3.883405852592131,
      3.6594050194663748, 3.6459586350420627, 3.5004428913674035, 3.390491311164263,
      3.300282648423944,
    ],
    "0.025": [
      -12.706204736174705, -4.302652729749464, -3.1824463052837086, -2.7764451051977943,
      -2.5705818356363155, -2.3646242515927844, -2.2621571627982053, -2.2281388519862753,
      -2.09302405440831, -2.045229642132704, -2.042272456301238, -2.0095752371292397,
      -1.983971518523552, -1.9623390808264085,
    ],
    "0.6": [
      0.32491969623290634, 0.2886751345948128, 0.2766706623326898, 0.2707222947075976,
      0.2671808657041451, 0.2631668613520229, 0.260955336473911, 0.2601848294920803,
      0.25692281979615467, 0.25568363457125604, 0.2556053649519128, 0.2547270255991911,
      0.25402218245822766, 0.25341451583949876,
    ],
  };
  for (const [p, values] of Object.entries(ppf)) {
    it(`quantile at p = ${p} matches scipy.stats.t.ppf`, () => {
      dfs.forEach((df, i) => expectClose(studentTQuantile(Number(p), df), values[i] ?? 0, 1e-12));
    });
  }

  it("CDF matches scipy.stats.t.cdf", () => {
    // SciPy 1.17.1, scipy.stats.t.cdf(t, df)
    const cases: [number, number, number][] = [
      [0.5, 1, 0.6475836176504333],
      [1.3, 2, 0.8383764840919798],
      [-2.2, 3, 0.05758597598823534],
      [4.0, 7, 0.9974050433253516],
      [2.0, 30, 0.9726874775185085],
      [-1.0, 100, 0.15986207789206167],
    ];
    for (const [t, df, expected] of cases) expectClose(studentTCdf(t, df), expected, 1e-13);
  });

  it("rejects non-integer degrees of freedom", () => {
    expect(() => studentTQuantile(0.975, 2.5)).toThrow(RangeError);
    expect(() => studentTQuantile(0.975, 0)).toThrow(RangeError);
  });
});

describe("binomialHalfCdf", () => {
  it("is exact for small n", () => {
    expect(binomialHalfCdf(1, 10)).toBe(11 / 1024);
    expect(binomialHalfCdf(-1, 10)).toBe(0);
    expect(binomialHalfCdf(10, 10)).toBe(1);
  });
  it("stays accurate where 2^-n underflows (normalised path)", () => {
    // symmetric: P(B ≤ (n-1)/2) = 1/2 for odd n
    expectClose(binomialHalfCdf(1500, 3001), 0.5, 1e-12);
  });
});
