/**
 * Within-class likeness: do the images found for one digit resemble each other more than
 * images found for other digits? Mean pairwise Pearson correlation within vs across digits.
 */

/** Per-digit and overall correlations. */
export interface Likeness {
  /** Mean correlation over pairs of images of the same digit. */
  within: number;
  /** Mean correlation over pairs of images of different digits. */
  across: number;
  /** Per digit: mean correlation with its own images and with the others'. */
  digits: { digit: number; images: number; within: number | null; across: number | null }[];
  pairsWithin: number;
  pairsAcross: number;
}

/** Pearson correlation of two equally long pixel vectors (0 when one is constant). */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}

/** Computes {@linkcode Likeness} over images labelled with their target digit. */
export function measureLikeness(images: { digit: number; pixels: Uint8Array }[]): Likeness {
  const sums = new Map<number, { w: number; nw: number; a: number; na: number; count: number }>();
  const entry = (d: number) => {
    if (!sums.has(d)) sums.set(d, { w: 0, nw: 0, a: 0, na: 0, count: 0 });
    return sums.get(d)!;
  };
  let w = 0, nw = 0, a = 0, na = 0;
  for (const img of images) entry(img.digit).count++;
  for (let i = 0; i < images.length; i++) {
    for (let j = i + 1; j < images.length; j++) {
      const r = correlation(images[i].pixels, images[j].pixels);
      if (images[i].digit === images[j].digit) {
        w += r;
        nw++;
        entry(images[i].digit).w += r;
        entry(images[i].digit).nw++;
      } else {
        a += r;
        na++;
        for (const d of [images[i].digit, images[j].digit]) {
          entry(d).a += r;
          entry(d).na++;
        }
      }
    }
  }
  return {
    within: nw ? w / nw : NaN,
    across: na ? a / na : NaN,
    pairsWithin: nw,
    pairsAcross: na,
    digits: [...sums].sort((x, y) => x[0] - y[0]).map(([digit, s]) => ({
      digit,
      images: s.count,
      within: s.nw ? s.w / s.nw : null,
      across: s.na ? s.a / s.na : null,
    })),
  };
}
