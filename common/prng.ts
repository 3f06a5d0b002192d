/** Seeded pseudo-random numbers: every random choice in identikit is drawn from one of these. */

/** A seeded generator of uniform numbers. */
export interface Prng {
  /** A float uniform in [0, 1) with 32 bits of randomness. */
  next(): number;
  /** An unsigned 32-bit integer. */
  nextUint32(): number;
  /** An integer uniform in [0, n). */
  nextInt(n: number): number;
}

/** A generator whose position can be saved and restored (for training checkpoints). */
export interface PrngState {
  /** The generator's four state words. */
  getState(): number[];
  /** Continues from a state `getState()` returned. */
  setState(state: readonly number[]): void;
}

/**
 * Creates a small-fast-counter (sfc32) generator seeded through splitmix32, so that nearby
 * seeds (1, 2, 3…) give unrelated streams.
 */
export function createPrng(seed: number): Prng & PrngState {
  if (!Number.isInteger(seed)) {
    throw new TypeError(
      `Cannot create PRNG: seed must be an integer, received ${seed}`,
    );
  }
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix(), b = splitmix(), c = splitmix(), d = splitmix();
  const nextUint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) nextUint32();
  return {
    // `a` is an XOR, which JavaScript leaves signed: the state is stated as unsigned words.
    getState: () => [a >>> 0, b >>> 0, c >>> 0, d >>> 0],
    setState(state: readonly number[]) {
      // Signed words too: states saved before getState said them unsigned.
      if (
        state.length !== 4 ||
        !state.every((w) => Number.isInteger(w) && w >= -(2 ** 31) && w < 2 ** 32)
      ) {
        throw new RangeError(`Cannot restore PRNG: expected 4 unsigned 32-bit words`);
      }
      [a, b, c, d] = state.map((w) => w >>> 0);
    },
    nextUint32,
    next: () => nextUint32() / 4294967296,
    // Multiply-shift is unbiased enough for n far below 2^32, which is all we draw.
    nextInt: (n: number) => Math.floor((nextUint32() / 4294967296) * n),
  };
}

/**
 * Derives a 32-bit seed from a list of coordinates (FNV-1a over their text), so that a
 * sweep cell's randomness depends only on its own coordinates, never on the run order.
 */
export function deriveSeed(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = parts.join("\u0000");
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche so that seeds differing in one character differ in many bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** Shuffles `values` in place (Fisher–Yates) with `prng`, and returns it. */
export function shuffleInPlace<
  T extends { length: number; [i: number]: unknown },
>(
  values: T,
  prng: Prng,
): T {
  for (let i = values.length - 1; i > 0; i--) {
    const j = prng.nextInt(i + 1);
    const tmp = values[i];
    values[i] = values[j];
    values[j] = tmp;
  }
  return values;
}
