// The ranker seam: anything that turns a feature matrix into one score per candidate.
import type { CandidateColumns, FeatureMatrix, FeatureProfile, RankingContext } from "./features.js";

/** Scores candidates; higher is better. Implementations: ONNX in workerd, ONNX in Node, origin order. */
export interface Ranker {
  /** Stable name for logs and the response (`servedBy`). */
  readonly kind: string;
  /** Model version, or null for rankers without one. */
  readonly version: string | null;
  /** What computes the scores, for rankers that run a model on one of several engines (health and logs). */
  readonly engine?: string;
  /** Why the ranker is not on its fastest engine, or null when it is (health and logs). */
  readonly engineNote?: string | null;
  /** One finite score per row; throws (or returns non-finite values, which callers reject) on failure. */
  score(features: FeatureMatrix): Promise<Float32Array>;
  /**
   * The scores `score(extractFeatures(list, profile, ctx))` gives, from the list's columns, for a ranker that
   * extracts cheaper itself; null when it cannot for this call (the caller then extracts and calls `score`).
   * `extracted` is called once the features are built, for callers that time extraction and scoring apart.
   */
  scoreList?(
    list: CandidateColumns,
    profile: FeatureProfile | null,
    ctx: RankingContext,
    extracted?: () => void,
  ): Promise<Float32Array | null>;
}

/** Keeps the origin's order: score = -position. The last tier before giving up on a model. */
export class OriginOrderRanker implements Ranker {
  readonly kind = "origin-order";
  readonly version = null;
  async score(features: FeatureMatrix): Promise<Float32Array> {
    const out = new Float32Array(features.rows);
    for (let i = 0; i < out.length; i++) out[i] = -i;
    return out;
  }
}

/** Index of the first non-finite score, or -1. */
export function firstNonFinite(scores: Float32Array): number {
  for (let i = 0; i < scores.length; i++) if (!Number.isFinite(scores[i])) return i;
  return -1;
}
