/** Compares scorers side by side: same model, same inputs, interleaved rounds per batch size. */

import { maxAbsDiff } from "../common/probabilities.ts";

/** Something that scores batches (an onnxruntime provider, or tfjs for comparison). */
export interface BenchScorer {
  score(images: Float32Array, count: number): Promise<Float32Array>;
  close(): Promise<void>;
  device: string;
}

/** One contender: a name and how to open it (opening may fail: the row records why). */
export interface BenchContender {
  name: string;
  open: () => Promise<BenchScorer>;
}

/** One row of the comparison table (`results/bench/providers.json`). */
export interface BenchRow {
  provider: string;
  /** Null for a provider that could not start at all. */
  batch: number | null;
  device?: string;
  candidatesPerSecond?: number;
  msPerBatch?: number;
  gflops?: number;
  /** Largest |p − p_reference| over all probabilities of the first batch. */
  maxAbsDiff?: number;
  repetitions?: number;
  error?: string;
}

/** Options for {@linkcode benchmarkScorers}. */
export interface BenchOptions {
  batches: number[];
  /** Images to score: at least max(batches) × 784 pixels. */
  images: Float32Array;
  flopsPerImage: number;
  /** Name of the contender whose probabilities are the reference (first one if absent). */
  reference?: string;
  /** Timed rounds per batch size (each round runs every contender once). */
  rounds?: number;
  /** Stop timing a contender at a batch size once it has spent this long on it. */
  budgetMs?: number;
  onRow?: (row: BenchRow) => void;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Over 80 lines: open, warm up, interleave rounds and close must share the contenders' sessions,
// so that every one is closed whatever fails.
/**
 * Opens every contender, then for each batch size runs warm-up and `rounds` interleaved
 * rounds (A, B, C, A, B, C, …) so that machine noise hits all contenders alike, and reports
 * the median time per batch. A contender that cannot open gets one row with its error.
 */
export async function benchmarkScorers(
  contenders: BenchContender[],
  options: BenchOptions,
): Promise<BenchRow[]> {
  const rounds = options.rounds ?? 7;
  const budgetMs = options.budgetMs ?? 15000;
  const reference = options.reference ?? contenders[0]?.name;
  const rows: BenchRow[] = [];
  const open: { name: string; scorer: BenchScorer }[] = [];
  for (const c of contenders) {
    try {
      open.push({ name: c.name, scorer: await c.open() });
    } catch (error) {
      const row: BenchRow = {
        provider: c.name,
        batch: null,
        error: (error as Error).message,
      };
      rows.push(row);
      options.onRow?.(row);
    }
  }
  try {
    for (const batch of options.batches) {
      const input = options.images.subarray(0, batch * 784);
      const times = new Map<string, number[]>(open.map((o) => [o.name, []]));
      const outputs = new Map<string, Float32Array>();
      const failed = new Map<string, string>();
      // Warm-up (first run compiles kernels, allocates arenas) and the parity outputs.
      for (const o of open) {
        try {
          outputs.set(o.name, await o.scorer.score(input, batch));
        } catch (error) {
          failed.set(o.name, (error as Error).message);
        }
      }
      for (let r = 0; r < rounds; r++) {
        for (const o of open) {
          const spent = times.get(o.name)!;
          if (
            failed.has(o.name) || (spent.length > 0 && sum(spent) > budgetMs)
          ) continue;
          const t0 = performance.now();
          await o.scorer.score(input, batch);
          spent.push(performance.now() - t0);
        }
      }
      const ref = outputs.get(reference!);
      for (const o of open) {
        let row: BenchRow;
        if (failed.has(o.name)) {
          row = {
            provider: o.name,
            batch,
            device: o.scorer.device,
            error: failed.get(o.name)!,
          };
        } else {
          const ms = median(times.get(o.name)!);
          const out = outputs.get(o.name)!;
          row = {
            provider: o.name,
            batch,
            device: o.scorer.device,
            candidatesPerSecond: batch / (ms / 1000),
            msPerBatch: ms,
            ...(Number.isFinite(options.flopsPerImage)
              ? { gflops: (options.flopsPerImage * batch) / (ms / 1000) / 1e9 }
              : {}),
            ...(ref ? { maxAbsDiff: maxAbsDiff(out, ref) } : {}),
            repetitions: times.get(o.name)!.length,
          };
        }
        rows.push(row);
        options.onRow?.(row);
      }
    }
  } finally {
    for (const o of open) await o.scorer.close();
  }
  return rows;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** Renders rows as a Markdown table. */
export function benchTable(rows: BenchRow[]): string {
  const lines = [
    "| provider | batch | candidates/s | ms/batch | GFLOP/s | max abs diff | device / error |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const r of rows) {
    if (r.error !== undefined) {
      lines.push(
        `| ${r.provider} | ${r.batch ?? "–"} | – | – | – | – | ${
          r.error.replaceAll("|", "\\|").replaceAll("\n", " ")
        } |`,
      );
    } else {
      lines.push(
        `| ${r.provider} | ${r.batch} | ${r.candidatesPerSecond!.toFixed(0)} | ${
          r.msPerBatch!.toFixed(1)
        } | ${Number.isFinite(r.gflops) ? r.gflops!.toFixed(1) : "–"} | ${
          r.maxAbsDiff === undefined ? "–" : r.maxAbsDiff.toExponential(1)
        } | ${r.device ?? ""} |`,
      );
    }
  }
  return lines.join("\n");
}
