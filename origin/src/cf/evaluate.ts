// Offline CF evaluation: per-user temporal holdout, NDCG@k / Recall@k, and a popularity baseline to beat.
import { ndcgAtK, recallAtK } from "../../../core/metrics.js";
import { groupByUser, type Interaction } from "../dataset.js";
import { checkDepth, topK } from "./common.js";
import type { CandidateGenerator, FitInteraction, Scored } from "./types.js";

export interface TemporalSplit {
  train: Interaction[];
  /** Held-out titles per user (titles already in the user's training part are dropped: they are excluded anyway). */
  test: Map<number, Set<number>>;
  /** Titles in each user's training part: excluded from that user's recommendations. */
  seen: Map<number, Set<number>>;
}

/**
 * Holds out each user's last `fraction` of interactions (floor, by time; ties by input order). Users with fewer
 * than 1 / fraction interactions keep everything in training and are not evaluated.
 */
export function temporalSplit(interactions: readonly Interaction[], fraction = 0.2): TemporalSplit {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`holdout fraction must be in (0, 1), got ${fraction}`);
  const byUser = groupByUser(interactions);
  const train: Interaction[] = [];
  const test = new Map<number, Set<number>>();
  const seen = new Map<number, Set<number>>();
  for (const [u, xs] of [...byUser].sort((a, b) => a[0] - b[0])) {
    const ordered = xs.map((x, i) => ({ x, i })).sort((a, b) => a.x.ts - b.x.ts || a.i - b.i);
    const held = Math.floor(ordered.length * fraction);
    const cut = ordered.length - held;
    const own = new Set<number>();
    for (let k = 0; k < cut; k++) {
      const x = (ordered[k] as { x: Interaction }).x;
      train.push(x);
      own.add(x.itemId);
    }
    seen.set(u, own);
    if (held > 0) {
      const rel = new Set<number>();
      for (let k = cut; k < ordered.length; k++) {
        const id = (ordered[k] as { x: Interaction }).x.itemId;
        if (!own.has(id)) rel.add(id);
      }
      if (rel.size > 0) test.set(u, rel);
    }
  }
  train.sort((a, b) => a.ts - b.ts || a.userId - b.userId || a.itemId - b.itemId);
  return { train, test, seen };
}

export interface CfScore {
  name: string;
  ndcg: number;
  recall: number;
  users: number;
  fitMs: number;
}

/** Anything that ranks titles for a user given what to exclude. */
export type Recommender = (userId: number, depth: number, exclude: ReadonlySet<number>) => Scored[];

/** Mean NDCG@k and Recall@k over the split's test users (a user with no recommendations scores 0). */
export function scoreRecommender(name: string, rec: Recommender, split: TemporalSplit, k = 10, fitMs = 0): CfScore {
  let ndcg = 0;
  let recall = 0;
  for (const [u, relevant] of split.test) {
    const ranked = rec(u, k, split.seen.get(u) ?? new Set()).map((s) => s.itemId);
    ndcg += ndcgAtK(ranked, relevant, k);
    recall += recallAtK(ranked, relevant, k);
  }
  const users = split.test.size;
  return { name, ndcg: users ? ndcg / users : 0, recall: users ? recall / users : 0, users, fitMs };
}

/** Fits a generator on the split's training part (timed) and scores it. */
export function evaluateGenerator(gen: CandidateGenerator, split: TemporalSplit, k = 10): CfScore {
  const t0 = performance.now();
  gen.fit(split.train);
  const fitMs = performance.now() - t0;
  return scoreRecommender(gen.name, (u, d, ex) => gen.recommend(u, d, ex), split, k, fitMs);
}

/** Most-watched titles first, the same list for everyone: the baseline CF has to beat. */
export function popularityRecommender(train: readonly FitInteraction[]): Recommender {
  const counts = new Map<number, number>();
  for (const x of train) counts.set(x.itemId, (counts.get(x.itemId) ?? 0) + 1);
  const ids = Int32Array.from([...counts.keys()]);
  const scores = Float64Array.from(ids, (id) => counts.get(id) as number);
  return (_u, depth, exclude) => {
    checkDepth(depth);
    return topK(scores, ids, depth, (i) => !exclude.has(ids[i] as number));
  };
}
