// Ranking metrics over a ranked id list and a set of relevant ids (binary relevance).

/** NDCG@k with binary gains; 0 when nothing is relevant. */
export function ndcgAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  if (relevant.size === 0) return 0;
  let dcg = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i] as number)) dcg += 1 / Math.log2(i + 2);
  let ideal = 0;
  const m = Math.min(k, relevant.size);
  for (let i = 0; i < m; i++) ideal += 1 / Math.log2(i + 2);
  return dcg / ideal;
}

/** Share of the relevant ids found in the top k. */
export function recallAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  if (relevant.size === 0) return 0;
  return hits(ranked, relevant, k) / relevant.size;
}

/** Share of the top k that is relevant. */
export function precisionAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  return k > 0 ? hits(ranked, relevant, k) / k : 0;
}

/** 1 if any relevant id is in the top k. */
export function hitRateAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  return hits(ranked, relevant, k) > 0 ? 1 : 0;
}

/** Reciprocal rank of the first relevant id (0 if none). */
export function mrr(ranked: ArrayLike<number>, relevant: ReadonlySet<number>): number {
  for (let i = 0; i < ranked.length; i++) if (relevant.has(ranked[i] as number)) return 1 / (i + 1);
  return 0;
}

function hits(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  let h = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i] as number)) h++;
  return h;
}
