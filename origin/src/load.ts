// Picks the origin's data set from command-line style options: a MovieLens directory or the synthetic generator.
import type { Dataset } from "./dataset.js";
import { loadMovieLens } from "./movielens.js";
import { generateSynthetic } from "./synthetic.js";

export interface DataOptions {
  /** MovieLens directory; when absent, the synthetic data set is generated. */
  data?: string | undefined;
  seed?: number | undefined;
  users?: number | undefined;
  items?: number | undefined;
}

/** Seed of the synthetic world the origin serves by default; the model trainer defaults to it too. */
export const DEFAULT_SYNTHETIC_SEED = 42;

/** Loads MovieLens from `data`, else generates the synthetic set (seed 42, 1,000 users, 1,500 titles by default). */
export function loadDataset(opts: DataOptions = {}): Dataset {
  if (opts.data) return loadMovieLens(opts.data);
  return generateSynthetic({
    seed: opts.seed ?? DEFAULT_SYNTHETIC_SEED,
    users: opts.users ?? 1000,
    items: opts.items ?? 1500,
  });
}
