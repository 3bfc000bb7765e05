// Small statistics helpers for the benchmarks: medians and percentiles of repeated measurements.

/** The q-quantile (0..1) of the samples, by nearest rank. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

export const median = (samples: readonly number[]) => quantile(samples, 0.5);

/**
 * The ratio of medians, median(num) / median(den), in each of `parts` consecutive equal slices of two sample
 * series taken side by side (sample i of each in the same round): how much the ratio moves within one run.
 */
export function sliceRatios(num: readonly number[], den: readonly number[], parts: number): number[] {
  if (num.length !== den.length) throw new RangeError(`${num.length} against ${den.length} samples`);
  const size = Math.floor(num.length / parts);
  if (size < 1) throw new RangeError(`${num.length} samples do not make ${parts} slices`);
  return Array.from({ length: parts }, (_, p) => {
    const at = p * size;
    return median(num.slice(at, at + size)) / median(den.slice(at, at + size));
  });
}

/** Formats a table of rows for the terminal. */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? "").length)));
  const line = (r: string[]) => r.map((c, j) => c.padEnd(widths[j] as number)).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...cells.slice(1).map(line)].join("\n");
}

/** A seeded Fisher-Yates shuffle: each call returns a new order of the items, the same sequence of orders per seed. */
export function shuffler(seed: number): <T>(items: readonly T[]) => T[] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return <T>(items: readonly T[]): T[] => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  };
}

/** Every value following `flag` on the command line (a flag may repeat). */
export const argValues = (flag: string, argv: readonly string[] = process.argv): string[] =>
  argv.flatMap((a, i, all) => (a === flag && i + 1 < all.length ? [all[i + 1] as string] : []));
