// Helpers shared by the CF implementations: input checks, per-user histories and deterministic top-k selection.
import type { CandidateGenerator, FitInteraction, Scored } from "./types.js";

/** Throws a RangeError unless depth is a non-negative integer. */
export function checkDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 0) throw new RangeError(`depth must be a non-negative integer, got ${depth}`);
}

/** Distinct items per user, each list in ascending item order (so fits do not depend on input order). */
export function userHistories(interactions: readonly FitInteraction[]): Map<number, number[]> {
  const sets = new Map<number, Set<number>>();
  for (const x of interactions) {
    let s = sets.get(x.userId);
    if (!s) {
      s = new Set();
      sets.set(x.userId, s);
    }
    s.add(x.itemId);
  }
  const out = new Map<number, number[]>();
  for (const [u, s] of [...sets].sort((a, b) => a[0] - b[0]))
    out.set(
      u,
      [...s].sort((a, b) => a - b),
    );
  return out;
}

/** True if a should come before b: higher score first, then lower item id. */
const better = (sa: number, ia: number, sb: number, ib: number) => sa > sb || (sa === sb && ia < ib);

/**
 * The best `depth` entries of a score vector, as Scored with item ids from `itemOf`. Entries are skipped when
 * `keep` says so (e.g. excluded or unscored). A bounded min-heap keeps this O(n log depth).
 */
export function topK(
  scores: ArrayLike<number>,
  itemOf: ArrayLike<number>,
  depth: number,
  keep: (index: number) => boolean,
): Scored[] {
  if (depth === 0) return [];
  const heapIdx: number[] = [];
  const worse = (a: number, b: number) =>
    better(scores[b] as number, itemOf[b] as number, scores[a] as number, itemOf[a] as number);
  for (let i = 0; i < scores.length; i++) {
    if (!keep(i)) continue;
    if (heapIdx.length < depth) {
      heapIdx.push(i);
      let c = heapIdx.length - 1;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(heapIdx[c] as number, heapIdx[p] as number)) break;
        [heapIdx[c], heapIdx[p]] = [heapIdx[p] as number, heapIdx[c] as number];
        c = p;
      }
    } else if (worse(heapIdx[0] as number, i)) {
      heapIdx[0] = i;
      let p = 0;
      for (;;) {
        const l = 2 * p + 1;
        const r = l + 1;
        let m = p;
        if (l < heapIdx.length && worse(heapIdx[l] as number, heapIdx[m] as number)) m = l;
        if (r < heapIdx.length && worse(heapIdx[r] as number, heapIdx[m] as number)) m = r;
        if (m === p) break;
        [heapIdx[m], heapIdx[p]] = [heapIdx[p] as number, heapIdx[m] as number];
        p = m;
      }
    }
  }
  return heapIdx
    .map((i) => ({ itemId: itemOf[i] as number, score: scores[i] as number }))
    .sort((a, b) => b.score - a.score || a.itemId - b.itemId);
}

/**
 * What item-to-item generators share: a column per modelled title, each user's history as ascending columns,
 * and recommendations from a history through the subclass's `score`. Subclasses fit their weights and call
 * `index` with the titles they model.
 */
export abstract class ItemColumnGenerator implements CandidateGenerator {
  abstract readonly name: string;
  abstract params: Record<string, number>;
  protected itemOf = new Int32Array(0);
  protected colOf = new Map<number, number>();
  private histories = new Map<number, Int32Array>();

  abstract fit(interactions: readonly FitInteraction[]): void;
  abstract similar(itemId: number, depth: number): Scored[];
  /** The best `depth` titles for a history of columns (ascending), none of them in `exclude`. */
  protected abstract score(cols: Int32Array, depth: number, exclude: ReadonlySet<number>): Scored[];

  /** Makes `items` (ascending ids) the modelled titles and maps every user's history onto them. */
  protected index(items: readonly number[], histories: ReadonlyMap<number, readonly number[]>): void {
    this.itemOf = Int32Array.from(items);
    this.colOf = new Map(items.map((id, c) => [id, c]));
    this.histories = new Map();
    for (const [u, h] of histories) this.histories.set(u, this.toCols(h));
  }

  /** A user's fitted history as columns. */
  protected historyCols(userId: number): Int32Array | undefined {
    return this.histories.get(userId);
  }

  recommend(userId: number, depth: number, exclude: ReadonlySet<number>): Scored[] {
    checkDepth(depth);
    const cols = this.histories.get(userId);
    return cols ? this.score(cols, depth, exclude) : [];
  }

  recommendForHistory(history: readonly number[], depth: number, exclude: ReadonlySet<number>): Scored[] {
    checkDepth(depth);
    return this.score(this.toCols([...new Set(history)]), depth, exclude);
  }

  covers(itemId: number): boolean {
    return this.colOf.has(itemId);
  }

  /** The modelled titles among `items`, as ascending columns. */
  private toCols(items: readonly number[]): Int32Array {
    const cols: number[] = [];
    for (const i of items) {
      const c = this.colOf.get(i);
      if (c !== undefined) cols.push(c);
    }
    return Int32Array.from(cols.sort((a, b) => a - b));
  }
}
