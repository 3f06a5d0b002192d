/**
 * The nearest training digit of an image (Euclidean, on 8-bit levels), found exactly but fast:
 * a 4×4 block-mean bound rules out most of the 60,000 candidates before any full distance.
 */

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const BLOCK = 4;
const BLOCKS = (SIDE / BLOCK) ** 2;

/** A set of reference images indexed for nearest-neighbour queries. */
export interface NearestIndex {
  /** The nearest reference image of `image` (784 levels): its index and Euclidean distance. */
  nearest(image: Uint8Array): { index: number; distance: number };
}

/** Each image's 4×4 block means (49 per image). */
function blockMeans(images: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count * BLOCKS);
  for (let n = 0; n < count; n++) {
    const o = n * PIXELS;
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        out[n * BLOCKS + ((y / BLOCK) | 0) * (SIDE / BLOCK) + ((x / BLOCK) | 0)] +=
          images[o + y * SIDE + x] / (BLOCK * BLOCK);
      }
    }
  }
  return out;
}

/**
 * Indexes `images` (`count × 784` levels). By Cauchy–Schwarz, 16 × the squared distance of two
 * images' block means never exceeds their squared distance, so candidates are checked in order
 * of that bound and the search stops once the bound passes the best distance: the answer is the
 * exact nearest image (the lowest index among ties).
 */
export function indexImages(images: Uint8Array, count: number): NearestIndex {
  const means = blockMeans(images, count);
  return {
    nearest(image) {
      const query = blockMeans(image, 1);
      const bounds = new Float64Array(count);
      let first = 0;
      for (let n = 0; n < count; n++) {
        let s = 0;
        for (let b = 0; b < BLOCKS; b++) {
          const d = means[n * BLOCKS + b] - query[b];
          s += d * d;
        }
        bounds[n] = s * BLOCK * BLOCK;
        if (bounds[n] < bounds[first]) first = n;
      }
      /** The squared distance, or early any value above `limit` once the sum passes it. */
      const distance = (n: number, limit = Infinity) => {
        let s = 0;
        const o = n * PIXELS;
        for (let y = 0; y < PIXELS; y += SIDE) {
          for (let i = y; i < y + SIDE; i++) {
            const d = images[o + i] - image[i];
            s += d * d;
          }
          if (s > limit) return s;
        }
        return s;
      };
      let best = distance(first), bestIndex = first;
      // Only images whose bound is below the first guess can beat it; the closest bounds first.
      // A small margin: the bounds are computed in floats, the distances exactly.
      const candidates: number[] = [];
      for (let n = 0; n < count; n++) if (bounds[n] <= best + 1e-3) candidates.push(n);
      candidates.sort((a, b) => bounds[a] - bounds[b] || a - b);
      for (const n of candidates) {
        if (bounds[n] > best + 1e-3) break;
        const s = distance(n, best);
        if (s < best || (s === best && n < bestIndex)) {
          best = s;
          bestIndex = n;
        }
      }
      return { index: bestIndex, distance: Math.sqrt(best) / 255 };
    },
  };
}
