// Training loop for the MLP ranker: per-list ranking loss over sampled candidates, Adam, early stopping on NDCG@10.
import {
  extractFeatures,
  FEATURE_COUNT,
  FEATURES,
  featureIndices,
  type RankingContext,
  selectColumns,
} from "../../core/features.js";
import { ndcgAtK } from "../../core/metrics.js";
import { orderByScore } from "../../core/rules.js";
import { type ExampleList, listFeatures } from "./examples.js";
import { Adam, columnStats, type Dense, distillListLoss, Mlp, pairwiseLoss, Rng, softmaxListLoss } from "./mlp.js";

export interface FitOptions {
  seed: number;
  /** Maximum passes over the training lists. */
  epochs: number;
  hidden: number[];
  lr: number;
  /** Decoupled (AdamW) decay: every step shrinks weights by lr * weightDecay, pulling unused inputs to zero. */
  weightDecay: number;
  /** Training instances per Adam step. */
  batch: number;
  /** Negatives sampled per instance each epoch (all of the list's negatives if it has fewer). */
  negatives: number;
  loss: "softmax" | "pairwise";
  /**
   * event: one instance per held-out view in its own context (the view's title positive, other held-out titles
   * ignored); window: one instance per list in its first held-out view's context, every held-out title positive.
   */
  instances: "event" | "window";
  /** Stop after this many epochs without a better validation NDCG@10 (the best epoch's weights are kept). */
  patience: number;
  /** Validation protocol that picks the epoch (see evaluate.ts): next (default) or window. */
  valProtocol: "next" | "window";
  standardise: boolean;
  /** Features the model must not read: their first-layer weights are held at zero (for ablations). */
  dropFeatures: string[];
  /** Start from these weights (and their standardisation) instead of a fresh init: fine-tuning a pruned net. */
  initial?: Mlp;
  /**
   * Distillation: trained nets whose averaged scores, as a softmax over each list, are mixed into the training
   * target with weight `distill` (0-1; see distillListLoss). A student so trained ranks like their average at
   * one net's cost.
   */
  teachers?: readonly Mlp[];
  distill?: number;
  /**
   * Weight averaging: with 0 < ema < 1 the net validated each epoch, and kept, is an exponential moving average
   * of the weights after each Adam step (decay `ema` per step), not the last step's weights; 0 trains without
   * it. The average starts from the initial weights and is not bias-corrected, as PyTorch's AveragedModel and
   * timm's ModelEma do it, so after t steps it still holds a share ema^t of the random start. On the random
   * protocol that version measured better than a corrected one (model-export/README.md).
   */
  ema: number;
  /**
   * Stochastic weight averaging: with swa = E >= 1 training runs all `epochs` (no early stop) and the net kept is
   * the plain mean of the weights at the end of epochs E..epochs; 0 trains without it. Validation is then only
   * logged: no epoch is picked, which on the random protocol's 92 validation users was mostly noise (README).
   * Excludes `ema`.
   */
  swa: number;
  log?: (line: string) => void;
  /** Called after every epoch (for progress displays). */
  onEpoch?: (entry: EpochLog, maxEpochs: number) => void;
}

export const FIT_DEFAULTS: FitOptions = {
  seed: 1,
  epochs: 12,
  hidden: [32, 16],
  lr: 3e-3,
  weightDecay: 1,
  batch: 32,
  negatives: 64,
  loss: "softmax",
  instances: "event",
  patience: 3,
  valProtocol: "next",
  standardise: true,
  dropFeatures: [],
  ema: 0,
  swa: 0,
};

export interface EpochLog {
  epoch: number;
  loss: number;
  valNdcg10: number;
  seconds: number;
}

export interface FitResult {
  model: Mlp;
  history: EpochLog[];
  bestEpoch: number;
  /** Validation NDCG@10 of origin order, for comparison with the model's. */
  valOriginNdcg10: number;
  instances: number;
}

/** One training example: a list in a context, its positive rows and rows left out of the loss. */
export interface Instance {
  list: ExampleList;
  context: RankingContext;
  positives: number[];
  /** Candidates neither positive nor negative (other held-out titles of an event instance). */
  ignored: Set<number>;
}

/** The training instances of lists under a mode; lists without a positive candidate give none. */
export function makeInstances(lists: readonly ExampleList[], mode: FitOptions["instances"]): Instance[] {
  const out: Instance[] = [];
  for (const list of lists) {
    if (list.ids.length === 0 || list.events.length === 0) continue;
    const index = new Map<number, number>();
    list.ids.forEach((id, i) => {
      index.set(id, i);
    });
    const labelled: number[] = [];
    for (let i = 0; i < list.labels.length; i++) if (list.labels[i]) labelled.push(i);
    if (labelled.length === 0) continue;
    if (mode === "window") {
      const first = list.events[0] as ExampleList["events"][number];
      out.push({ list, context: first.context, positives: labelled, ignored: new Set() });
      continue;
    }
    for (const ev of list.events) {
      const p = index.get(ev.itemId);
      if (p === undefined || !list.labels[p]) continue;
      out.push({ list, context: ev.context, positives: [p], ignored: new Set(labelled.filter((i) => i !== p)) });
    }
  }
  return out;
}

type Scorer = (list: ExampleList, ctx: RankingContext) => ArrayLike<number>;

/** NDCG@10 with one ranking per list in its first held-out view's context, every held-out title relevant. */
export function windowNdcg(lists: readonly ExampleList[], score: Scorer): number {
  let sum = 0;
  let n = 0;
  for (const list of lists) {
    if (list.relevant.size === 0 || list.events.length === 0) continue;
    const ctx = (list.events[0] as ExampleList["events"][number]).context;
    sum += ndcgAtK(ranked(list, score(list, ctx), list.watched, null), list.relevant, 10);
    n++;
  }
  return n ? sum / n : 0;
}

/**
 * NDCG@10 with one ranking per held-out view in its own context, earlier held-out views removed as watched,
 * only that view's title relevant (the evaluate() "next" protocol).
 */
export function nextNdcg(lists: readonly ExampleList[], score: Scorer): number {
  let sum = 0;
  let n = 0;
  for (const list of lists) {
    const earlier = new Set<number>();
    for (const ev of list.events) {
      if (list.watched.has(ev.itemId) || earlier.has(ev.itemId)) continue;
      sum += ndcgAtK(ranked(list, score(list, ev.context), list.watched, earlier), new Set([ev.itemId]), 10);
      n++;
      earlier.add(ev.itemId);
    }
  }
  return n ? sum / n : 0;
}

function ranked(
  list: ExampleList,
  scores: ArrayLike<number>,
  a: ReadonlySet<number>,
  b: ReadonlySet<number> | null,
): number[] {
  const out: number[] = [];
  for (const i of orderByScore(scores)) {
    const id = list.ids[i] as number;
    if (!a.has(id) && !b?.has(id)) out.push(id);
  }
  return out;
}

const originScorer: Scorer = (list) => Float32Array.from({ length: list.ids.length }, (_, i) => -i);

/**
 * Scores one list in many contexts cheaply, for evaluation. The first layer's pre-activations of the list's
 * features (in the first context seen) are kept; for another context, extractFeatures runs again and only the
 * columns it changed are pushed through W1: one shared vector for columns that moved by the same amount on
 * every row (the context columns), per-row updates for the rest (title age when the year differs).
 * Equal to Mlp.score up to float rounding.
 */
export class CachedListScorer {
  private readonly net: Mlp;
  private list: ExampleList | null = null;
  private x0 = new Float32Array(0);
  private pre = new Float64Array(0);
  private readonly buf = new Float32Array(1000 * FEATURE_COUNT);

  constructor(model: Mlp) {
    this.net = model.folded();
  }

  readonly score = (list: ExampleList, ctx: RankingContext): Float32Array => {
    const n = list.ids.length;
    if (n === 0) return new Float32Array(0);
    const first = this.net.layers[0] as Dense;
    const h = first.outSize;
    const cols = FEATURE_COUNT;
    const x = listFeatures(list, ctx, this.buf.length >= n * cols ? this.buf : undefined).data;
    if (this.list !== list) {
      this.list = list;
      this.x0 = x.slice(0, n * cols);
      this.pre = new Float64Array(n * h);
      for (let r = 0; r < n; r++) {
        for (let o = 0; o < h; o++) {
          let s = first.b[o] as number;
          for (let i = 0; i < cols; i++) s += (first.w[o * cols + i] as number) * (this.x0[r * cols + i] as number);
          this.pre[r * h + o] = s;
        }
      }
    }
    const x0 = this.x0;
    const shared = new Float64Array(h);
    const perRow: number[] = [];
    for (let j = 0; j < cols; j++) {
      const d0 = (x[j] as number) - (x0[j] as number);
      let uniform = true;
      for (let r = 1; r < n && uniform; r++)
        uniform = (x[r * cols + j] as number) - (x0[r * cols + j] as number) === d0;
      if (!uniform) perRow.push(j);
      else if (d0 !== 0)
        for (let o = 0; o < h; o++) shared[o] = (shared[o] as number) + (first.w[o * cols + j] as number) * d0;
    }
    const act = new Float32Array(n * h);
    for (let r = 0; r < n; r++) {
      const ro = r * h;
      for (let o = 0; o < h; o++) act[ro + o] = (this.pre[ro + o] as number) + (shared[o] as number);
      for (const j of perRow) {
        const d = (x[r * cols + j] as number) - (x0[r * cols + j] as number);
        if (d !== 0)
          for (let o = 0; o < h; o++) act[ro + o] = (act[ro + o] as number) + (first.w[o * cols + j] as number) * d;
      }
      for (let o = 0; o < h; o++) if ((act[ro + o] as number) < 0) act[ro + o] = 0;
    }
    const { acts } = this.net.forward(act, n, 1);
    return acts[acts.length - 1] as Float32Array;
  };
}

/** Column mean and scale over one full list per training list, in its first instance's context (what fitRanker uses). */
export function instanceStandardisation(instances: readonly Instance[]): ReturnType<typeof columnStats> {
  const seen = new Set<ExampleList>();
  const parts: Float32Array[] = [];
  let rows = 0;
  for (const inst of instances) {
    if (seen.has(inst.list)) continue;
    seen.add(inst.list);
    const m = listFeatures(inst.list, inst.context);
    parts.push(m.data);
    rows += m.rows;
  }
  const all = new Float32Array(rows * FEATURE_COUNT);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return columnStats(all, rows, FEATURE_COUNT);
}

/**
 * Trains a ranker on `train` lists, choosing the epoch by NDCG@10 on `val` lists. Deterministic for a seed:
 * initialisation, instance order and negative sampling all draw from one seeded generator.
 */
export function fitRanker(
  train: readonly ExampleList[],
  val: readonly ExampleList[],
  options: Partial<FitOptions> = {},
): FitResult {
  const opts: FitOptions = { ...FIT_DEFAULTS, ...options };
  const log = opts.log ?? (() => {});
  if (opts.distill !== undefined && !(opts.distill >= 0 && opts.distill <= 1))
    throw new RangeError(`distill must be in [0, 1], got ${opts.distill}`);
  if (opts.distill && !opts.teachers?.length) throw new RangeError("distill needs at least one teacher");
  if (!(opts.ema >= 0 && opts.ema < 1)) throw new RangeError(`ema must be in [0, 1), got ${opts.ema}`);
  if (!(Number.isInteger(opts.swa) && opts.swa >= 0 && opts.swa <= opts.epochs))
    throw new RangeError(`swa must be an epoch in [1, ${opts.epochs}] (or 0: none), got ${opts.swa}`);
  if (opts.swa && opts.ema) throw new RangeError("swa and ema exclude each other");
  const instances = makeInstances(train, opts.instances);
  if (instances.length === 0) throw new Error("no training instance has a held-out title among its candidates");
  const rng = new Rng(opts.seed);
  const model = opts.initial
    ? opts.initial.clone()
    : Mlp.init({ inputSize: FEATURE_COUNT, hidden: opts.hidden }, opts.seed);

  if (opts.standardise && !opts.initial) {
    const { mean, scale } = instanceStandardisation(instances);
    model.setStandardisation(mean, scale);
  }

  const dropped = featureIndices(opts.dropFeatures);
  const first = model.layers[0] as Dense;
  const zeroDropped = () => {
    for (const j of dropped) for (let o = 0; o < first.outSize; o++) first.w[o * first.inSize + j] = 0;
  };
  zeroDropped();
  const adam = new Adam(model, opts.lr, opts.weightDecay);
  const ema = opts.ema > 0 ? model.clone() : null;
  let swa: Mlp | null = null;
  let averaged = 0;
  const valMetric = opts.valProtocol === "next" ? nextNdcg : windowNdcg;
  const valOrigin = valMetric(val, originScorer);
  let best = { ndcg: Number.NEGATIVE_INFINITY, epoch: 0, model: model.clone() };
  const history: EpochLog[] = [];
  const order = Uint32Array.from({ length: instances.length }, (_, i) => i);
  const collaborative = new Map<ExampleList, Float32Array>();
  let sinceBest = 0;

  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const t0 = performance.now();
    rng.shuffle(order);
    let lossSum = 0;
    for (let start = 0; start < order.length; start += opts.batch) {
      const end = Math.min(order.length, start + opts.batch);
      // Gather every instance's sampled rows into one batch matrix.
      const chosen: { rows: number[]; positive: Uint8Array; offset: Float64Array }[] = [];
      let totalRows = 0;
      for (let k = start; k < end; k++) {
        const inst = instances[order[k] as number] as Instance;
        const sample = sampleRows(inst, opts.negatives, rng);
        chosen.push(sample);
        totalRows += sample.rows.length;
      }
      const x = new Float32Array(totalRows * FEATURE_COUNT);
      let row = 0;
      for (let k = start; k < end; k++) {
        const inst = instances[order[k] as number] as Instance;
        const rows = (chosen[k - start] as (typeof chosen)[number]).rows;
        x.set(rowFeatures(inst.list, inst.context, rows, collaborative), row * FEATURE_COUNT);
        row += rows.length;
      }
      let teacher: Float64Array | undefined;
      if (opts.distill && opts.teachers?.length) {
        teacher = new Float64Array(totalRows);
        for (const t of opts.teachers) {
          const ts = t.score(x, totalRows);
          for (let i = 0; i < totalRows; i++)
            teacher[i] = (teacher[i] as number) + (ts[i] as number) / opts.teachers.length;
        }
      }
      const input = model.standardise(x, totalRows);
      const { acts } = model.forward(input, totalRows);
      const scores = acts[acts.length - 1] as Float32Array;
      const dScore = new Float64Array(totalRows);
      let offsetRow = 0;
      for (const sample of chosen) {
        const n = sample.rows.length;
        const s = Array.from({ length: n }, (_, i) => scores[offsetRow + i] as number);
        const g = new Float64Array(n);
        let loss: number;
        if (teacher) {
          const t = teacher.subarray(offsetRow, offsetRow + n);
          loss = distillListLoss(s, sample.positive, t, opts.distill as number, g, sample.offset);
        } else if (opts.loss === "softmax") {
          loss = softmaxListLoss(s, sample.positive, g, sample.offset);
        } else {
          const pairs: number[] = [];
          for (let i = 0; i < n; i++) {
            if (!sample.positive[i]) continue;
            for (let j = 0; j < n; j++) if (!sample.positive[j]) pairs.push(i, j);
          }
          loss = pairwiseLoss(s, pairs, g);
        }
        lossSum += loss;
        const w = 1 / (end - start);
        for (let i = 0; i < n; i++) dScore[offsetRow + i] = (g[i] as number) * w;
        offsetRow += n;
      }
      const grads = model.zeroGrads();
      model.backward(acts, dScore, totalRows, grads);
      adam.step(grads);
      zeroDropped();
      if (ema) averageInto(ema, model, opts.ema);
    }
    if (opts.swa && epoch >= opts.swa) {
      swa ??= model.clone();
      addToMean(swa, model, averaged++);
    }
    const valNdcg = valMetric(val, new CachedListScorer(swa ?? ema ?? model).score);
    const seconds = (performance.now() - t0) / 1000;
    const loss = lossSum / instances.length;
    history.push({ epoch, loss, valNdcg10: valNdcg, seconds });
    opts.onEpoch?.(history[history.length - 1] as EpochLog, opts.epochs);
    log(
      `epoch ${String(epoch).padStart(2)}  loss ${loss.toFixed(4)}  val NDCG@10 (${opts.valProtocol}) ${valNdcg.toFixed(4)} (origin ${valOrigin.toFixed(4)})  ${seconds.toFixed(2)}s`,
    );
    if (opts.swa) {
      if (epoch === opts.epochs) best = { ndcg: valNdcg, epoch, model: (swa as Mlp).clone() };
    } else if (valNdcg > best.ndcg) {
      best = { ndcg: valNdcg, epoch, model: (ema ?? model).clone() };
      sinceBest = 0;
    } else if (++sinceBest >= opts.patience) {
      log(`early stop: no better validation NDCG@10 for ${opts.patience} epochs; keeping epoch ${best.epoch}`);
      break;
    }
  }
  return { model: best.model, history, bestEpoch: best.epoch, valOriginNdcg10: valOrigin, instances: instances.length };
}

const LIST_RELATIVE = Int32Array.from(FEATURES.flatMap((f, j) => (f.listRelative ? [j] : [])));

/** mean := the mean of the `count` nets it holds and `net` (count 0: a copy of net); a running mean. */
export function addToMean(mean: Mlp, net: Mlp, count: number): void {
  averageInto(mean, net, count / (count + 1));
}

/** avg := decay * avg + (1 - decay) * net, weights and biases (both nets of the same shape). */
export function averageInto(avg: Mlp, net: Mlp, decay: number): void {
  avg.layers.forEach((a, l) => {
    const src = net.layers[l] as Dense;
    for (let i = 0; i < a.w.length; i++) a.w[i] = decay * (a.w[i] as number) + (1 - decay) * (src.w[i] as number);
    for (let i = 0; i < a.b.length; i++) a.b[i] = decay * (a.b[i] as number) + (1 - decay) * (src.b[i] as number);
  });
}

/**
 * Features of some rows of a list in a context, without extracting the whole list: extractFeatures runs on a
 * sub-list of just those rows, then the list-relative columns, which depend on the whole list (score / max,
 * position) and never on the context, are copied from one whole-list extraction cached per list. Equal to the
 * matching rows of listFeatures (fit.test.ts checks it for every column).
 */
export function rowFeatures(
  list: ExampleList,
  context: RankingContext,
  rows: readonly number[],
  cache: Map<ExampleList, Float32Array>,
): Float32Array {
  let collab = cache.get(list);
  if (!collab) {
    const full = listFeatures(list, context);
    collab = selectColumns(full, LIST_RELATIVE);
    cache.set(list, collab);
  }
  const c = list.columns;
  const pick = <T extends Float32Array | Uint32Array | Uint16Array>(
    src: ArrayLike<number>,
    make: (n: number) => T,
  ): T => {
    const out = make(rows.length);
    rows.forEach((r, i) => {
      out[i] = src[r] as number;
    });
    return out;
  };
  const sub = {
    size: rows.length,
    cfScore: pick(c.cfScore, (n) => new Float32Array(n)),
    popularity: pick(c.popularity, (n) => new Float32Array(n)),
    genres: pick(c.genres, (n) => new Uint32Array(n)),
    tags: pick(c.tags, (n) => new Uint32Array(n)),
    year: pick(c.year, (n) => new Uint16Array(n)),
  };
  const m = extractFeatures(sub, list.profile, context);
  const k = LIST_RELATIVE.length;
  rows.forEach((r, i) => {
    for (let j = 0; j < k; j++) m.data[i * FEATURE_COUNT + (LIST_RELATIVE[j] as number)] = collab[r * k + j] as number;
  });
  return m.data;
}

/**
 * Positives plus up to `negatives` uniformly sampled negatives. Each sampled negative stands for
 * (all negatives / sampled) of them, so it gets log of that as a softmax offset (a logQ correction).
 */
function sampleRows(
  inst: Instance,
  negatives: number,
  rng: Rng,
): { rows: number[]; positive: Uint8Array; offset: Float64Array } {
  const n = inst.list.ids.length;
  const isPos = new Uint8Array(n);
  for (const p of inst.positives) isPos[p] = 1;
  const pool: number[] = [];
  for (let i = 0; i < n; i++) if (!isPos[i] && !inst.ignored.has(i)) pool.push(i);
  let picked: number[];
  if (pool.length <= negatives) picked = pool;
  else {
    // Partial Fisher-Yates: the first `negatives` slots become a uniform sample without replacement.
    for (let i = 0; i < negatives; i++) {
      const j = i + rng.int(pool.length - i);
      const t = pool[i] as number;
      pool[i] = pool[j] as number;
      pool[j] = t;
    }
    picked = pool.slice(0, negatives).sort((a, b) => a - b);
  }
  const rows = [...inst.positives, ...picked];
  const positive = new Uint8Array(rows.length);
  positive.fill(1, 0, inst.positives.length);
  const offset = new Float64Array(rows.length);
  const correction = picked.length ? Math.log(pool.length / picked.length) : 0;
  offset.fill(correction, inst.positives.length);
  return { rows, positive, offset };
}
