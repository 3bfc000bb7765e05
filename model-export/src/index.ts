// Public entry of model-export: train a ranker on a Dataset and get ONNX bytes, a manifest and a report.
import { FEATURE_COUNT, FEATURES } from "../../core/features.js";
import type { ModelManifest } from "../../core/manifest.js";
import { EaseGenerator } from "../../origin/src/cf/ease.js";
import type { CandidateGenerator } from "../../origin/src/cf/types.js";
import type { Dataset } from "../../origin/src/dataset.js";
import { type Evaluation, evaluate } from "./evaluate.js";
import {
  buildStage,
  type ExampleList,
  fingerprintInteractions,
  randomSplit,
  type SplitOptions,
  temporalSplit,
  testStage,
  trainStage,
} from "./examples.js";
import { CachedListScorer, type EpochLog, FIT_DEFAULTS, type FitOptions, fitRanker } from "./fit.js";
import { type Mlp, Rng } from "./mlp.js";
import { buildManifest, mlpToOnnx } from "./onnx.js";
import { macsPerCandidate, pruneUnits } from "./prune.js";

export { Mlp } from "./mlp.js";
export { buildManifest, mlpFromOnnx, mlpToOnnx } from "./onnx.js";

/** The features that describe the request's moment and device rather than the title or the user. */
export const CONTEXT_FEATURES: readonly string[] = FEATURES.filter((f) => f.kind === "context").map((f) => f.name);

export interface TrainOptions extends Partial<Omit<FitOptions, "log" | "teachers" | "distill">> {
  /**
   * Distil from this many nets (default 0: none). Each is trained like the model with seeds seed + 1 ...
   * seed + N; the model is then trained on their averaged scores (fitRanker's distill weight 1). It serves
   * at one net's cost while ranking like their average, which varies less with the training seed. Training
   * takes N + 1 fits.
   */
  teachers?: number;
  /** Explicit model version (default `<dataset>-YYYYMMDD-<sha256 prefix>`). */
  version?: string;
  createdAt?: Date;
  /** Origin candidates per user (default 500). */
  depth?: number;
  split?: SplitOptions;
  /** Share of users whose lists only pick the epoch, never train it (default 0.15). */
  valUserFraction?: number;
  /**
   * Train cuts (default 1): cut 0 labels each user's val slice; cut k labels the slice k val-lengths earlier,
   * with the CF refitted on what came before it. With random labels, cut k holds out another seeded random
   * quarter. More cuts, more training lists, one CF fit each; validation always uses cut 0.
   */
  trainCuts?: number;
  /**
   * Also fit the origin at the test cut and measure on test views (default true). When false the manifest's
   * metrics come from the validation users, which costs one CF fit less.
   */
  evaluate?: boolean;
  /**
   * How training lists are labelled (default temporal): temporal holds out each user's next slice in time;
   * random holds out a seeded random quarter of each user's interactions, every one relevant, to train for the
   * random per-user protocol. Random has no test-cut evaluation.
   */
  labels?: "temporal" | "random";
  /** A fresh candidate generator (default: the origin's EASE). */
  makeGenerator?: () => CandidateGenerator;
  /**
   * Also build a pruned variant (default false): half the units of every hidden layer, the least important
   * dropped, then fine-tuned on the same lists. It is offered when its NDCG@10 is within 0.5% of the full model.
   */
  variant?: boolean;
  log?: (line: string) => void;
}

export interface TrainReport {
  dataset: string;
  fingerprint: string;
  seed: number;
  generator: { name: string; params: Record<string, number> };
  users: { total: number; split: number; trainLists: number; valLists: number; testLists: number };
  instances: number;
  fit: {
    hidden: number[];
    loss: string;
    instances: string;
    negatives: number;
    lr: number;
    paramCount: number;
    /** Features held at zero weight. */
    dropFeatures: string[];
    trainCuts: number;
    /** Nets the model was distilled from (0: trained on the labels alone). */
    teachers: number;
    /** Weight-averaging decay per step (0: the last step's weights, not an average). */
    ema: number;
    /** First epoch of the stochastic weight average kept (0: none; see FitOptions.swa). */
    swa: number;
  };
  history: EpochLog[];
  bestEpoch: number;
  /** Test cut, all users with held-out views (absent when evaluate is false). */
  test: Evaluation | null;
  /** Test cut, restricted to the validation users (never trained on). */
  testHeldOutUsers: Evaluation | null;
  /** Train cut, validation users: what picked the epoch. */
  validation: Evaluation;
  seconds: { examples: number; fit: number; evaluate: number; total: number };
}

/** The smaller variant next to the full model, measured on the same held-out lists. */
export interface VariantReport {
  kind: "pruned";
  hidden: number[];
  /** True when NDCG@10 (per-view and per-user) is within `tolerance` of the full model's. */
  offered: boolean;
  tolerance: number;
  ndcg10: { full: number; variant: number; fullWindow: number; variantWindow: number };
  macsPerCandidate: { full: number; variant: number };
  onnxBytes: { full: number; variant: number };
  paramCount: { full: number; variant: number };
}

export interface TrainResult {
  onnx: Uint8Array;
  manifest: ModelManifest;
  report: TrainReport & { variant: VariantReport | null };
  model: Mlp;
  /** The pruned variant's artifact, when one was built (see `report.variant.offered`). */
  variant: { onnx: Uint8Array; manifest: ModelManifest; model: Mlp } | null;
}

/** Relative NDCG@10 loss a smaller variant may have and still be offered. */
export const VARIANT_TOLERANCE = 0.005;

/**
 * Trains a re-ranker for `dataset`: temporal split per user, origin CF fitted on the past only, MLP fitted
 * on the validation slice's views, optionally evaluated on the test slice. Deterministic for a seed, except
 * `createdAt` (pass it to get identical manifests).
 */
export async function trainModel(dataset: Dataset, options: TrainOptions = {}): Promise<TrainResult> {
  const t0 = performance.now();
  const log = options.log ?? (() => {});
  const seed = options.seed ?? FIT_DEFAULTS.seed;
  const makeGenerator = options.makeGenerator ?? (() => new EaseGenerator());
  const stageOpts = { depth: options.depth ?? 500, makeGenerator };
  const splits = temporalSplit(dataset, options.split);

  const cuts = options.trainCuts ?? 1;
  if (!Number.isInteger(cuts) || cuts < 1) throw new RangeError(`trainCuts must be a positive integer, got ${cuts}`);
  const valFraction = options.valUserFraction ?? 0.15;
  if (!(valFraction > 0 && valFraction < 1)) {
    throw new RangeError(`valUserFraction must be in (0, 1), got ${valFraction}`);
  }
  const random = options.labels === "random";
  if (random && (options.evaluate ?? true)) {
    throw new RangeError("labels: random has no test cut: set evaluate false");
  }
  const cut = (k: number) => {
    if (!random) return trainStage(dataset, splits, stageOpts, k);
    const r = randomCutSplit(dataset, seed, k);
    return buildStage(dataset, r.train, r.test, stageOpts);
  };
  const trainCut = cut(0);
  const valUsers = pickValidationUsers(
    trainCut.lists.map((l) => l.userId),
    valFraction,
    seed,
  );
  const trainLists: ExampleList[] = [];
  const valLists: ExampleList[] = [];
  for (const list of trainCut.lists) (valUsers.has(list.userId) ? valLists : trainLists).push(list);
  // Earlier cuts add training lists for the same training users; validation stays at the latest cut.
  for (let k = 1; k < cuts; k++) {
    for (const list of cut(k).lists) if (!valUsers.has(list.userId)) trainLists.push(list);
  }
  const tExamples = performance.now();
  log(
    `examples: ${trainLists.length} train lists (${cuts} cut${cuts > 1 ? "s" : ""}), ${valLists.length} validation lists, ${dataset.users.length} users, ${trainCut.generator.name} candidates (${((tExamples - t0) / 1000).toFixed(1)}s)`,
  );

  const fitOpts: Partial<FitOptions> = {
    // Context the data never observed (dataset.contextObserved false) is noise: its features stay at zero weight.
    ...(dataset.contextObserved === false ? { dropFeatures: [...CONTEXT_FEATURES] } : {}),
    ...pickFit(options),
    seed,
    log,
    ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
  };
  const teacherCount = options.teachers ?? 0;
  if (!Number.isInteger(teacherCount) || teacherCount < 0)
    throw new RangeError(`teachers must be a non-negative integer, got ${teacherCount}`);
  const teachers = Array.from({ length: teacherCount }, (_, i) => {
    const name = `teacher ${i + 1}/${teacherCount}`;
    const r = fitRanker(trainLists, valLists, {
      ...fitOpts,
      seed: seed + i + 1,
      onEpoch: undefined,
      log: (line) => {
        if (!line.startsWith("epoch ")) log(`${name}: ${line}`);
      },
    });
    const kept = r.history[r.bestEpoch - 1];
    log(`${name}: epoch ${r.bestEpoch} kept, validation NDCG@10 ${kept?.valNdcg10.toFixed(4)}`);
    return r.model;
  });
  const fitted = fitRanker(trainLists, valLists, {
    ...fitOpts,
    ...(teacherCount ? { teachers, distill: 1 } : {}),
  });
  const tFit = performance.now();
  const scorer = new CachedListScorer(fitted.model).score;
  const validation = evaluate(trainCut, scorer, valLists);

  let test: Evaluation | null = null;
  let testHeldOutUsers: Evaluation | null = null;
  let testLists = 0;
  let testCut: ReturnType<typeof testStage> | null = null;
  if (options.evaluate ?? true) {
    testCut = testStage(dataset, splits, stageOpts);
    testLists = testCut.lists.length;
    test = evaluate(testCut, scorer);
    testHeldOutUsers = evaluate(
      testCut,
      scorer,
      testCut.lists.filter((l) => valUsers.has(l.userId)),
    );
  }
  // The pruned variant, judged on the same lists as the full model (test cut when evaluating, else validation).
  let variant: { fitted: ReturnType<typeof fitRanker>; evaluation: Evaluation } | null = null;
  if (options.variant) {
    const widths = fitted.model.layers.slice(0, -1).map((d) => Math.max(1, Math.floor(d.outSize / 2)));
    log(`variant: pruning to ${widths.join("-")} hidden units and fine-tuning`);
    const tuned = fitRanker(trainLists, valLists, {
      ...fitOpts,
      initial: pruneUnits(fitted.model, widths),
      hidden: widths,
      epochs: Math.min(6, fitOpts.epochs ?? FIT_DEFAULTS.epochs),
      lr: (fitOpts.lr ?? FIT_DEFAULTS.lr) / 3,
      onEpoch: undefined,
      log: (line) => log(`variant ${line}`),
    });
    const vScorer = new CachedListScorer(tuned.model).score;
    variant = {
      fitted: tuned,
      evaluation: testCut ? evaluate(testCut, vScorer) : evaluate(trainCut, vScorer, valLists),
    };
  }
  const tEval = performance.now();

  const onnx = mlpToOnnx(fitted.model);
  const headline = test ?? validation;
  const fingerprint = await fingerprintInteractions(dataset.interactions);
  // Headline: the "next" protocol, each held-out view ranked in its own context, as the edge ranks a request.
  const metricsOf = (headline: Evaluation): Record<string, number> => ({
    ndcg10Model: headline.next.model.ndcg10,
    ndcg10OriginOrder: headline.next.origin.ndcg10,
    ndcg10Popularity: headline.next.popularity.ndcg10,
    ndcg10GainStdErr: headline.gain.next.se,
    recall10Model: headline.next.model.recall10,
    recall10OriginOrder: headline.next.origin.recall10,
    mrrModel: headline.next.model.mrr,
    mrrOriginOrder: headline.next.origin.mrr,
    views: headline.next.model.count,
    ndcg10WindowModel: headline.window.model.ndcg10,
    ndcg10WindowOriginOrder: headline.window.origin.ndcg10,
    users: headline.window.model.count,
  });
  const metrics = metricsOf(headline);
  const resolved = { ...FIT_DEFAULTS, ...fitOpts };
  const training = (fit: ReturnType<typeof fitRanker>, m: Record<string, number>, hidden: number[]) => ({
    dataset: dataset.name,
    fingerprint,
    seed,
    epochs: fit.history.length,
    bestEpoch: fit.bestEpoch,
    metrics: m,
    metricsProtocol: `${
      test
        ? "test cut: each user's last 20% held out, CF fitted on the rest"
        : "train cut, validation users only (evaluate=false)"
    }; one ranking per held-out view in its own context, earlier views removed, that view's title relevant; Window metrics: one ranking per user in the first held-out view's context, all held-out titles relevant`,
    labels: random ? "random per-user 25% held out" : "temporal",
    candidates: `${trainCut.generator.name} depth ${stageOpts.depth}`,
    trainer: `mlp ${FEATURE_COUNT}-${hidden.join("-")}-1 ${resolved.loss} (${resolved.instances} instances, ${resolved.negatives} negatives, ${cuts} cut${cuts > 1 ? "s" : ""})`,
    ...(resolved.dropFeatures.length ? { zeroWeightFeatures: resolved.dropFeatures } : {}),
  });
  const manifest = await buildManifest(onnx, {
    ...(options.version ? { version: options.version } : {}),
    ...(options.createdAt ? { createdAt: options.createdAt } : {}),
    training: training(fitted, metrics, resolved.hidden),
  });
  let variantArtifact: TrainResult["variant"] = null;
  let variantReport: VariantReport | null = null;
  if (variant) {
    const vModel = variant.fitted.model;
    const vHidden = vModel.layers.slice(0, -1).map((d) => d.outSize);
    const vOnnx = mlpToOnnx(vModel);
    const vHead = variant.evaluation;
    const within = (full: number, v: number) => v >= full * (1 - VARIANT_TOLERANCE);
    const vManifest = await buildManifest(vOnnx, {
      version: `${manifest.version}-pruned`,
      ...(options.createdAt ? { createdAt: options.createdAt } : {}),
      training: { ...training(variant.fitted, metricsOf(vHead), vHidden), prunedFrom: manifest.version },
    });
    variantArtifact = { onnx: vOnnx, manifest: vManifest, model: vModel };
    variantReport = {
      kind: "pruned",
      hidden: vHidden,
      offered:
        within(headline.next.model.ndcg10, vHead.next.model.ndcg10) &&
        within(headline.window.model.ndcg10, vHead.window.model.ndcg10),
      tolerance: VARIANT_TOLERANCE,
      ndcg10: {
        full: headline.next.model.ndcg10,
        variant: vHead.next.model.ndcg10,
        fullWindow: headline.window.model.ndcg10,
        variantWindow: vHead.window.model.ndcg10,
      },
      macsPerCandidate: { full: macsPerCandidate(fitted.model), variant: macsPerCandidate(vModel) },
      onnxBytes: { full: onnx.length, variant: vOnnx.length },
      paramCount: { full: fitted.model.paramCount, variant: vModel.paramCount },
    };
  }
  const tEnd = performance.now();
  const report: TrainReport & { variant: VariantReport | null } = {
    dataset: dataset.name,
    fingerprint,
    seed,
    generator: { name: trainCut.generator.name, params: { ...trainCut.generator.params } },
    users: {
      total: dataset.users.length,
      split: splits.filter((s) => s.test.length > 0).length,
      trainLists: trainLists.length,
      valLists: valLists.length,
      testLists,
    },
    instances: fitted.instances,
    fit: {
      hidden: resolved.hidden,
      loss: resolved.loss,
      instances: resolved.instances,
      negatives: resolved.negatives,
      lr: resolved.lr,
      paramCount: fitted.model.paramCount,
      dropFeatures: resolved.dropFeatures,
      trainCuts: cuts,
      teachers: teacherCount,
      ema: resolved.ema,
      swa: resolved.swa,
    },
    history: fitted.history,
    bestEpoch: fitted.bestEpoch,
    test,
    testHeldOutUsers,
    validation,
    seconds: {
      examples: (tExamples - t0) / 1000,
      fit: (tFit - tExamples) / 1000,
      evaluate: (tEval - tFit) / 1000,
      total: (tEnd - t0) / 1000,
    },
    variant: variantReport,
  };
  return { onnx, manifest, report, model: fitted.model, variant: variantArtifact };
}

/** Only FitOptions keys reach fitRanker: TrainOptions also carries pipeline options it has no use for. */
function pickFit(o: Partial<TrainOptions>): Partial<FitOptions> {
  const out: Partial<FitOptions> = {};
  for (const key of Object.keys(FIT_DEFAULTS) as (keyof FitOptions)[]) {
    if (o[key as keyof TrainOptions] !== undefined)
      (out as Record<string, unknown>)[key] = o[key as keyof TrainOptions];
  }
  return out;
}

/** The random labels of train cut k (`labels: "random"`): its own seeded per-user quarter of `dataset` held out. */
export function randomCutSplit(dataset: Dataset, seed: number, k: number): ReturnType<typeof randomSplit> {
  return randomSplit(dataset, (seed ^ 0x1abe1) + 7919 * k);
}

/** The users whose lists only pick the epoch: a seeded `fraction` of them, at least one. */
export function pickValidationUsers(users: number[], fraction: number, seed: number): Set<number> {
  const sorted = [...new Set(users)].sort((a, b) => a - b);
  new Rng(seed ^ 0x5eed).shuffle(sorted);
  return new Set(sorted.slice(0, Math.max(1, Math.round(sorted.length * fraction))));
}
