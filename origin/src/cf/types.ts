// The candidate-generator seam: collaborative filtering models the origin can fit and ask for candidates.
import type { Interaction } from "../dataset.js";

/** One scored title; lists of these are ordered by score, best first, ties by ascending itemId. */
export interface Scored {
  itemId: number;
  score: number;
}

/**
 * What fitting reads from an interaction: who watched what (implicit feedback; ratings are not used), and when,
 * for generators that also learn from viewing sessions (interactions without `ts` count in no session).
 */
export type FitInteraction = Pick<Interaction, "userId" | "itemId"> & { ts?: number };

/**
 * A collaborative-filtering model. Implementations are deterministic: the same interactions give the same
 * model and the same answers, whatever their order.
 */
export interface CandidateGenerator {
  /** Short stable name for logs, list headers and /healthz (e.g. `ease`). */
  readonly name: string;
  /** Hyper-parameters and model size, for reports. */
  readonly params: Readonly<Record<string, number>>;
  /** Learns from interactions, replacing any earlier fit. Duplicate (user, item) pairs count once. */
  fit(interactions: readonly FitInteraction[]): void;
  /**
   * Up to `depth` titles for a user seen at fit time, best first, skipping `exclude`. A user unknown to the fit
   * (or whose titles the model does not cover) gets an empty list.
   */
  recommend(userId: number, depth: number, exclude: ReadonlySet<number>): Scored[];
  /** Like recommend, for an explicit history of item ids (e.g. a history cut at some moment). */
  recommendForHistory(history: readonly number[], depth: number, exclude: ReadonlySet<number>): Scored[];
  /** Up to `depth` titles most like `itemId`, best first, never the title itself; empty for an unknown title. */
  similar(itemId: number, depth: number): Scored[];
  /** True if the model can score or relate this title. */
  covers(itemId: number): boolean;
}
