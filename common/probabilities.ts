/** Rows of class probabilities (10 per image): predicted classes, accuracy, differences. */

/** The index of the largest of each row of 10 probabilities (the first one on ties). */
export function argmaxRows(probabilities: ArrayLike<number>): Uint8Array {
  const count = Math.floor(probabilities.length / 10);
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) {
      if (probabilities[i * 10 + k] > probabilities[i * 10 + best]) best = k;
    }
    out[i] = best;
  }
  return out;
}

/** Fraction of rows whose argmax equals the label. */
export function accuracy(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  const predicted = argmaxRows(probabilities);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / labels.length;
}

/** The largest element-wise absolute difference of two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new RangeError(`Cannot compare: lengths ${a.length} and ${b.length}`);
  }
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
