// Diagnostic for the random 75/25 protocol: the re-ranker fitted on other users' evaluation lists, cross-fitted by user.
//
//   DATA=<MovieLens dir>|synthetic  SEED=1  FOLDS=5  FIT_SEEDS=1,2,3  npx tsx model-export/experiments/cross-fit.ts
//
// Not a valid protocol: it trains on the evaluation's held-out quarter (of the other folds' users), so its labels
// come from exactly the distribution the evaluation scores, which `evaluate`'s training lists can only
// approximate (EASE fitted on less, sparser inputs, fewer labels per list). What it measures: how much these
// features and this net add over the origin on this data when the training distribution is not in the way
// (with one list per user, fewer than `evaluate`'s three cuts). Each user's list is scored by the nets of the fold that did not train on it (scores summed
// over FIT_SEEDS), and all folds are evaluated together, as `evaluate` would.
import { EaseGenerator } from "../../origin/src/cf/ease.js";
import { loadMovieLens } from "../../origin/src/movielens.js";
import { generateSynthetic } from "../../origin/src/synthetic.js";
import { evaluate, type ListScorer } from "../src/evaluate.js";
import { CachedListScorer, FIT_DEFAULTS, fitRanker } from "../src/fit.js";
import { CONTEXT_FEATURES, pickValidationUsers } from "../src/index.js";
import { heldOutStage, RANDOM_PROTOCOL_TRAINING } from "../src/protocols.js";

const dataArg = process.env.DATA ?? "synthetic";
const ds = dataArg === "synthetic" ? generateSynthetic({ seed: 42 }) : loadMovieLens(dataArg);
const seed = Number(process.env.SEED ?? 1);
const folds = Number(process.env.FOLDS ?? 5);
const fitSeeds = (process.env.FIT_SEEDS ?? "1").split(",").map(Number);
const t0 = performance.now();
const lap = () => `${((performance.now() - t0) / 1000).toFixed(0)}s`;

const { stage } = heldOutStage(ds, "random", seed, { depth: 500, makeGenerator: () => new EaseGenerator() });
const foldOf = (u: number) => (Math.imul(u ^ 0x5bd1, 0x85ebca6b) >>> 0) % folds;
const fitOpts = {
  ...FIT_DEFAULTS,
  ...RANDOM_PROTOCOL_TRAINING,
  dropFeatures: ds.contextObserved === false ? [...CONTEXT_FEATURES] : [],
};

const scorers = new Map<number, ListScorer[]>();
for (let f = 0; f < folds; f++) {
  const others = stage.lists.filter((l) => foldOf(l.userId) !== f);
  const valUsers = pickValidationUsers(
    others.map((l) => l.userId),
    0.15,
    seed,
  );
  const train = others.filter((l) => !valUsers.has(l.userId));
  const val = others.filter((l) => valUsers.has(l.userId));
  scorers.set(
    f,
    fitSeeds.map((s) => {
      const r = fitRanker(train, val, { ...fitOpts, seed: s });
      console.log(`fold ${f} fit ${s}: ${train.length} training lists, epoch ${r.bestEpoch} (${lap()})`);
      return new CachedListScorer(r.model).score;
    }),
  );
}

const e = evaluate(stage, (list, ctx) => {
  const sum = new Float32Array(list.ids.length);
  for (const score of scorers.get(foldOf(list.userId)) ?? []) {
    const s = score(list, ctx);
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (s[i] as number);
  }
  return sum;
});
const g = e.gain.window;
console.log(
  `${ds.name} seed ${seed}, fits ${fitSeeds.join("/")} cross-fitted on evaluation lists: origin ${e.window.origin.ndcg10.toFixed(4)}, re-ranker ${e.window.model.ndcg10.toFixed(4)}, gain ${((100 * g.ndcg10) / e.window.origin.ndcg10).toFixed(2)}% ± ${g.se.toFixed(4)} (${lap()})`,
);
