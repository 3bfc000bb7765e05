// Training-recipe experiments for the random 75/25 protocol's re-ranker, outside the CLI: lists built once, several fits.
//
//   DATA=<MovieLens dir>|synthetic  SEED=1  FIT_SEEDS=1,2,3  VARIANTS=base,r1,r2z \
//     [OOF=4] [ERA_DAYS=365] [VAL_FRACTION=0.4] [ENSEMBLE=1] [DISTILL=1 STUDENT_SEEDS=11,12] [EMA=0.995] \
//     npx tsx model-export/experiments/random-protocol.ts
//
// The recipe is `evaluate`'s without its default weight average, as `evaluate --swa 0` trains (RANDOM_PROTOCOL_TRAINING:
// three seeded random quarters of the visible part, each labelling lists from EASE fitted on the rest; validation
// users from the first). Variants:
//   base  the MLP as `train` initialises it;
//   rB    origin-order start: two pass-through units per hidden layer carry cf_z to the output with weight B,
//         added to the initialised net's output (still a Gemm/Relu chain); `rBz` also zeroes the other units'
//         output weights, so the untrained net ranks exactly in origin order.
// ERA_DAYS=d: the popularity column counted over the d days up to each user's last visible view (see below).
// ENSEMBLE=1: also the nets of all training seeds together (scores averaged).
// DISTILL=a[,a...]: after the base nets, one student per weight a (and per STUDENT_SEEDS, default 11) trained
// with the base nets' averaged scores mixed into its target (fitRanker's teachers/distill): one net's cost at
// the edge, the ensemble's rankings as far as the student learns them.
// EMA=d: keep the moving average of the weights, decay d per step from the initial weights (fitRanker's ema).
// BLEND=r[,r...]: each base net is also scored blended with its own initial weights, (1 - r) kept + r initial
// (the dropped features' columns held at zero in both): does a share of the random start help, as the
// weight average that kept one did?
// VAL_FRACTION (default 0.15, as train): the share of users whose lists only pick the epoch.
// OOF=G builds training lists out of fold: users fall in G groups and each group's quarter is held out of its
// own EASE fit only, so that fit sees (G - 1) / G of the other users' quarters (EASE on ~94% of the visible
// part for G = 4 instead of 75%), closer to the evaluation's EASE, which sees all of it.
import { FEATURE_NAMES, featureIndices } from "../../core/features.js";
import { EaseGenerator } from "../../origin/src/cf/ease.js";
import type { Interaction } from "../../origin/src/dataset.js";
import { loadMovieLens } from "../../origin/src/movielens.js";
import { generateSynthetic } from "../../origin/src/synthetic.js";
import { evaluate } from "../src/evaluate.js";
import { buildStage, type ExampleList, randomSplit } from "../src/examples.js";
import {
  averageInto,
  CachedListScorer,
  FIT_DEFAULTS,
  fitRanker,
  instanceStandardisation,
  makeInstances,
} from "../src/fit.js";
import { CONTEXT_FEATURES, pickValidationUsers, randomCutSplit } from "../src/index.js";
import { type Dense, Mlp } from "../src/mlp.js";
import { heldOutStage, RANDOM_PROTOCOL_TRAINING } from "../src/protocols.js";

const dataArg = process.env.DATA ?? "synthetic";
const ds = dataArg === "synthetic" ? generateSynthetic({ seed: 42 }) : loadMovieLens(dataArg);
const seed = Number(process.env.SEED ?? 1);
const groups = Number(process.env.OOF ?? 0);
const variants = (process.env.VARIANTS ?? "base").split(",");
const fitSeeds = (process.env.FIT_SEEDS ?? "1").split(",").map(Number);
const t0 = performance.now();
const lap = () => `${((performance.now() - t0) / 1000).toFixed(0)}s`;

const split = randomSplit(ds, seed);
const visible = { ...ds, interactions: split.train };
const stageOpts = { depth: 500, makeGenerator: () => new EaseGenerator() };

const eraDays = Number(process.env.ERA_DAYS ?? 0);

/**
 * ERA_DAYS=d: each list's popularity column becomes the title's popularity among what the stage saw in the d
 * days up to the user's last visible interaction (log1p(count) / log1p(max count) in that window): "trending
 * when this user was last here", computed from the past only, as the origin could publish it at request time.
 */
function withEraPopularity(lists: ExampleList[], seen: readonly Interaction[]): ExampleList[] {
  if (!eraDays) return lists;
  const byTime = [...seen].sort((a, b) => a.ts - b.ts);
  const times = Float64Array.from(byTime, (x) => x.ts);
  const lastSeen = new Map<number, number>();
  for (const x of seen) lastSeen.set(x.userId, Math.max(lastSeen.get(x.userId) ?? 0, x.ts));
  const lowerBound = (t: number) => {
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((times[mid] as number) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (const list of lists) {
    const ref = lastSeen.get(list.userId) ?? 0;
    const counts = new Map<number, number>();
    let max = 0;
    for (let i = lowerBound(ref - eraDays * 86_400_000), end = lowerBound(ref + 1); i < end; i++) {
      const id = (byTime[i] as Interaction).itemId;
      const c = (counts.get(id) ?? 0) + 1;
      counts.set(id, c);
      if (c > max) max = c;
    }
    const logMax = Math.log1p(max);
    const pop = list.columns.popularity as Float32Array;
    for (let i = 0; i < list.ids.length; i++)
      pop[i] = logMax > 0 ? Math.log1p(counts.get(list.ids[i] as number) ?? 0) / logMax : 0;
  }
  return lists;
}

/** Training lists of cut k, as trainModel builds them with labels "random" (or out of fold with OOF=G). */
function cut(k: number): ExampleList[] {
  const r = randomCutSplit(visible, seed, k);
  if (!groups) return withEraPopularity(buildStage(visible, r.train, r.test, stageOpts).lists, r.train);
  const group = (u: number) => (Math.imul(u ^ (k * 0x9e37), 0x85ebca6b) >>> 0) % groups;
  const lists: ExampleList[] = [];
  for (let g = 0; g < groups; g++) {
    const fitOn = [...r.train];
    const heldOut = new Map<number, Interaction[]>();
    for (const [u, xs] of r.test) {
      if (group(u) === g) heldOut.set(u, xs);
      else fitOn.push(...xs);
    }
    lists.push(...withEraPopularity(buildStage(visible, fitOn, heldOut, stageOpts).lists, fitOn));
  }
  return lists.sort((a, b) => a.userId - b.userId);
}

const first = cut(0);
const valUsers = pickValidationUsers(
  first.map((l) => l.userId),
  Number(process.env.VAL_FRACTION ?? 0.15),
  seed,
);
const train: ExampleList[] = [];
const val: ExampleList[] = [];
for (const l of first) (valUsers.has(l.userId) ? val : train).push(l);
for (let k = 1; k < RANDOM_PROTOCOL_TRAINING.trainCuts; k++)
  for (const l of cut(k)) if (!valUsers.has(l.userId)) train.push(l);
const { stage } = heldOutStage(ds, "random", seed, stageOpts);
withEraPopularity(stage.lists, split.train);
console.log(`lists built in ${lap()}: ${train.length} train, ${val.length} validation, ${stage.lists.length} test`);

const fitOpts = {
  ...FIT_DEFAULTS,
  ...RANDOM_PROTOCOL_TRAINING,
  ...(process.env.EMA ? { ema: Number(process.env.EMA) } : {}),
  dropFeatures: ds.contextObserved === false ? [...CONTEXT_FEATURES] : [],
};
const K = FEATURE_NAMES.length;
const CF_Z = FEATURE_NAMES.indexOf("cf_z");

/** The 38-32-16-1 init widened to 38-34-18-1: units 32-33 and 16-17 pass cf_z through, the output reads it times `beta`. */
function originOrderStart(fitSeed: number, beta: number, keepOthers: boolean): Mlp {
  const [l1, l2, l3] = Mlp.init({ inputSize: K, hidden: [32, 16] }, fitSeed).layers as [Dense, Dense, Dense];
  const w1 = new Float32Array(34 * K);
  w1.set(l1.w);
  w1[32 * K + CF_Z] = 1;
  w1[33 * K + CF_Z] = -1;
  const w2 = new Float32Array(18 * 34);
  for (let o = 0; o < 16; o++) for (let i = 0; i < 32; i++) w2[o * 34 + i] = l2.w[o * 32 + i] as number;
  w2.set([1, -1], 16 * 34 + 32);
  w2.set([-1, 1], 17 * 34 + 32);
  const w3 = new Float32Array(18);
  for (let i = 0; i < 16; i++) w3[i] = keepOthers ? (l3.w[i] as number) : 0;
  w3.set([beta, -beta], 16);
  const m = new Mlp([
    { inSize: K, outSize: 34, w: w1, b: new Float32Array(34) },
    { inSize: 34, outSize: 18, w: w2, b: new Float32Array(18) },
    { inSize: 18, outSize: 1, w: w3, b: new Float32Array(1) },
  ]);
  const { mean, scale } = instanceStandardisation(makeInstances(train, fitOpts.instances));
  m.setStandardisation(mean, scale);
  return m;
}

const trained = new Map<string, Mlp[]>();
for (const fitSeed of fitSeeds) {
  for (const v of variants) {
    const initial =
      v === "base" ? undefined : originOrderStart(fitSeed, Number.parseFloat(v.slice(1)), !v.endsWith("z"));
    const r = fitRanker(train, val, { ...fitOpts, seed: fitSeed, ...(initial ? { initial } : {}) });
    trained.set(v, [...(trained.get(v) ?? []), r.model]);
    for (const share of process.env.BLEND && v === "base" ? process.env.BLEND.split(",").map(Number) : []) {
      const start = Mlp.init({ inputSize: K, hidden: fitOpts.hidden }, fitSeed);
      const first = start.layers[0] as Dense;
      for (const j of featureIndices(fitOpts.dropFeatures))
        for (let o = 0; o < first.outSize; o++) first.w[o * K + j] = 0;
      const blended = r.model.clone();
      averageInto(blended, start, 1 - share);
      const eb = evaluate(stage, new CachedListScorer(blended).score);
      const gb = eb.gain.window;
      console.log(
        `${ds.name} seed ${seed} fit ${fitSeed} blended with ${share} of its start: re-ranker ${eb.window.model.ndcg10.toFixed(4)}, gain ${((100 * gb.ndcg10) / eb.window.origin.ndcg10).toFixed(2)}% ± ${gb.se.toFixed(4)}`,
      );
    }
    const e = evaluate(stage, new CachedListScorer(r.model).score);
    const g = e.gain.window;
    console.log(
      [
        `${ds.name} seed ${seed} fit ${fitSeed} ${v}${groups ? ` oof ${groups}` : ""}:`,
        `epoch ${r.bestEpoch}, validation ${r.history[r.bestEpoch - 1]?.valNdcg10.toFixed(4)} (origin ${r.valOriginNdcg10.toFixed(4)}),`,
        `test origin ${e.window.origin.ndcg10.toFixed(4)}, re-ranker ${e.window.model.ndcg10.toFixed(4)},`,
        `gain ${((100 * g.ndcg10) / e.window.origin.ndcg10).toFixed(2)}% ± ${g.se.toFixed(4)} (${lap()})`,
      ].join(" "),
    );
  }
}

// ENSEMBLE=1: each variant's nets (one per training seed) scored together, their scores averaged per candidate.
if (process.env.ENSEMBLE && fitSeeds.length > 1) {
  for (const [v, models] of trained) {
    const scorers = models.map((m) => new CachedListScorer(m).score);
    const e = evaluate(stage, (list, ctx) => {
      const sum = new Float64Array(list.ids.length);
      for (const score of scorers) {
        const s = score(list, ctx);
        for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (s[i] as number);
      }
      return sum;
    });
    const g = e.gain.window;
    console.log(
      `${ds.name} seed ${seed} ensemble of fits ${fitSeeds.join("/")} ${v}${groups ? ` oof ${groups}` : ""}: re-ranker ${e.window.model.ndcg10.toFixed(4)}, gain ${((100 * g.ndcg10) / e.window.origin.ndcg10).toFixed(2)}% ± ${g.se.toFixed(4)} (${lap()})`,
    );
  }
}

// DISTILL: students of the base nets (the variant `base` must be among VARIANTS).
if (process.env.DISTILL) {
  const teachers = trained.get("base");
  if (!teachers?.length) throw new Error("DISTILL needs the base variant's nets as teachers (VARIANTS=base)");
  for (const a of process.env.DISTILL.split(",").map(Number)) {
    for (const studentSeed of (process.env.STUDENT_SEEDS ?? "11").split(",").map(Number)) {
      const r = fitRanker(train, val, { ...fitOpts, seed: studentSeed, teachers, distill: a });
      const e = evaluate(stage, new CachedListScorer(r.model).score);
      const g = e.gain.window;
      console.log(
        [
          `${ds.name} seed ${seed} student ${studentSeed} of ${teachers.length} nets, weight ${a}:`,
          `epoch ${r.bestEpoch}, validation ${r.history[r.bestEpoch - 1]?.valNdcg10.toFixed(4)},`,
          `test origin ${e.window.origin.ndcg10.toFixed(4)}, re-ranker ${e.window.model.ndcg10.toFixed(4)},`,
          `gain ${((100 * g.ndcg10) / e.window.origin.ndcg10).toFixed(2)}% ± ${g.se.toFixed(4)} (${lap()})`,
        ].join(" "),
      );
    }
  }
}
