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

/** Centres `pixels` and scales it to unit length (all zeros for a constant image). */
function unitCentred(pixels: ArrayLike<number>): Float64Array {
  const n = pixels.length, z = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += pixels[i];
  mean /= n;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    z[i] = pixels[i] - mean;
    norm += z[i] * z[i];
  }
  if (norm > 0) { for (let i = 0, s = 1 / Math.sqrt(norm); i < n; i++) z[i] *= s; }
  return z;
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/**
 * Computes {@linkcode Likeness} over images labelled with their target digit. The correlation
 * of two images is the dot product of their centred unit vectors, so sums over pairs follow
 * from per-digit vector sums: Σ_{i<j in d} r_ij = (‖S_d‖² − Σ‖z_i‖²) / 2 and
 * Σ_{i in a, j in b} r_ij = S_a · S_b. Linear in the number of images, not quadratic.
 */
export function measureLikeness(images: { digit: number; pixels: Uint8Array }[]): Likeness {
  const groups = new Map<number, { sum: Float64Array; self: number; count: number }>();
  for (const img of images) {
    const z = unitCentred(img.pixels);
    if (!groups.has(img.digit)) {
      groups.set(img.digit, { sum: new Float64Array(z.length), self: 0, count: 0 });
    }
    const g = groups.get(img.digit)!;
    for (let i = 0; i < z.length; i++) g.sum[i] += z[i];
    g.self += dot(z, z);
    g.count++;
  }
  const digits = [...groups.keys()].sort((a, b) => a - b);
  const cross = new Map<string, number>();
  for (const a of digits) {
    for (const b of digits) {
      if (a < b) cross.set(`${a}-${b}`, dot(groups.get(a)!.sum, groups.get(b)!.sum));
    }
  }
  const pairSum = (a: number, b: number) => cross.get(a < b ? `${a}-${b}` : `${b}-${a}`)!;
  let within = 0, pairsWithin = 0, across = 0, pairsAcross = 0;
  const perDigit = digits.map((d) => {
    const g = groups.get(d)!;
    const w = (dot(g.sum, g.sum) - g.self) / 2, nw = (g.count * (g.count - 1)) / 2;
    let a = 0, na = 0;
    for (const other of digits) {
      if (other === d) continue;
      a += pairSum(d, other);
      na += g.count * groups.get(other)!.count;
    }
    within += w;
    pairsWithin += nw;
    return { digit: d, images: g.count, within: nw ? w / nw : null, across: na ? a / na : null };
  });
  for (const key of cross.keys()) {
    const [a, b] = key.split("-").map(Number);
    across += cross.get(key)!;
    pairsAcross += groups.get(a)!.count * groups.get(b)!.count;
  }
  return {
    within: pairsWithin ? within / pairsWithin : NaN,
    across: pairsAcross ? across / pairsAcross : NaN,
    pairsWithin,
    pairsAcross,
    digits: perDigit,
  };
}
