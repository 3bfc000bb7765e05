// The two evaluation protocols (temporal, random per-user 75/25), each training on its own train part, plus the HTML chart.
import { EaseGenerator } from "../../origin/src/cf/ease.js";
import type { CandidateGenerator } from "../../origin/src/cf/types.js";
import type { Dataset, Interaction } from "../../origin/src/dataset.js";
import { type Evaluation, evaluate, type Method, type Metrics } from "./evaluate.js";
import {
  buildStage,
  fingerprintInteractions,
  randomSplit,
  type SplitOptions,
  type Stage,
  temporalSplit,
  testStage,
} from "./examples.js";
import { CachedListScorer } from "./fit.js";
import { type TrainOptions, trainModel } from "./index.js";

export { type RandomSplit, randomSplit } from "./examples.js";

export const PROTOCOLS = ["temporal", "random"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export interface ProtocolResult {
  protocol: Protocol;
  description: string;
  /** The comparable headline: one ranking per user, every held-out title relevant. */
  headline: Record<Method, Metrics>;
  evaluation: Evaluation;
  trainedOn: { interactions: number; fingerprint: string };
  /** The origin CF whose candidates (and order) this protocol scored, with its hyper-parameters. */
  origin: { name: string; params: Record<string, number> };
  /** The weight-averaging decay its re-ranker was trained with (0: none). Absent for a given model. */
  ema?: number;
  /** The first epoch of its re-ranker's stochastic weight average (0: none). Absent for a given model. */
  swa?: number;
  seconds: number;
}

export interface EvaluationReport {
  dataset: string;
  fingerprint: string;
  seed: number;
  depth: number;
  /** Nets each trained re-ranker was distilled from (`--teachers`; 0: none). Absent for a given model. */
  teachers?: number;
  results: ProtocolResult[];
  /** Present when a given model was scored (`evaluate --model/--model-dir`) instead of re-rankers trained here. */
  model?: EvaluatedModel;
}

/** One protocol's headline NDCG@10 across several seeds (`evaluate --seeds`): how far the split moves the gain. */
export interface SeedSummary {
  protocol: Protocol;
  seeds: number[];
  /** Headline NDCG@10 of origin order and of origin + re-ranker, one value per seed, in `seeds` order. */
  origin: number[];
  model: number[];
  /** Re-ranker minus origin order per seed, and its mean, sample standard deviation and standard error across seeds. */
  gain: { perSeed: number[]; mean: number; sd: number; se: number };
  /** The mean gain relative to the mean origin order NDCG@10 (0.013 is +1.3%). */
  relative: number;
}

/** The report of several runs under different seeds (`evaluate --seeds`): their summary, then the runs. */
export function seedsReport(runs: EvaluationReport[]): SeedsReport {
  const summary = summariseSeeds(runs);
  const first = runs[0] as EvaluationReport;
  const seeds = runs.map((run) => run.seed);
  return { dataset: first.dataset, fingerprint: first.fingerprint, depth: first.depth, seeds, summary, runs };
}

/** Several seeds' reports of one data set (`evaluate --seeds`), with the summary across them. */
export interface SeedsReport {
  dataset: string;
  fingerprint: string;
  depth: number;
  seeds: number[];
  summary: SeedSummary[];
  runs: EvaluationReport[];
}

/**
 * Summarises runs of the same protocols under different seeds. The seed draws the random protocol's split and
 * every training's initialisation and sampling, so the spread across seeds is what one run's paired standard
 * error (users only) does not show. Throws unless the runs cover the same protocols on the same data.
 */
export function summariseSeeds(runs: readonly EvaluationReport[]): SeedSummary[] {
  const first = runs[0];
  if (!first || runs.length < 2) throw new RangeError(`summariseSeeds: needs at least 2 runs, got ${runs.length}`);
  const protocols = first.results.map((r) => r.protocol);
  for (const run of runs) {
    if (run.fingerprint !== first.fingerprint) throw new RangeError("summariseSeeds: the runs scored different data");
    if (run.results.map((r) => r.protocol).join() !== protocols.join())
      throw new RangeError("summariseSeeds: the runs scored different protocols");
  }
  return protocols.map((protocol, i) => {
    const origin = runs.map((run) => (run.results[i] as ProtocolResult).headline.origin.ndcg10);
    const model = runs.map((run) => (run.results[i] as ProtocolResult).headline.model.ndcg10);
    const perSeed = model.map((m, j) => m - (origin[j] as number));
    const n = perSeed.length;
    const mean = perSeed.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(perSeed.reduce((a, g) => a + (g - mean) ** 2, 0) / (n - 1));
    const originMean = origin.reduce((a, b) => a + b, 0) / n;
    return {
      protocol,
      seeds: runs.map((run) => run.seed),
      origin,
      model,
      gain: { perSeed, mean, sd, se: sd / Math.sqrt(n) },
      relative: originMean > 0 ? mean / originMean : 0,
    };
  });
}

/** x with its sign, to `digits` places: "+0.0053", "-0.0020". */
const signed = (x: number, digits: number) => `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`;
const pct = (x: number) => `${signed(100 * x, 1)}%`;
const relativeTo = (gain: number, base: number | undefined) => (base && base > 0 ? gain / base : 0);

/** One line per protocol for the CLI: the mean gain across seeds, its spread and each seed's gain. */
export function formatSeedSummary(summary: readonly SeedSummary[]): string {
  return summary
    .map((s) => {
      const perSeed = s.gain.perSeed.map((g, j) => `${s.seeds[j]}: ${pct(relativeTo(g, s.origin[j]))}`).join(", ");
      return `${s.protocol}, seeds ${s.seeds.join(", ")}: re-ranker - origin NDCG@10 ${signed(s.gain.mean, 4)} (${pct(s.relative)}) mean, s.d. ${s.gain.sd.toFixed(4)}, s.e. ${s.gain.se.toFixed(4)} across seeds; per seed ${perSeed}`;
    })
    .join("\n");
}

/** A model evaluated as given (see byom.ts evaluateGivenModel): never trained on the protocols' visible parts. */
export interface EvaluatedModel {
  version: string;
  /** imported: --model + --schema (bring your own model); artifact: --model-dir (model.onnx + manifest.json). */
  kind: "imported" | "artifact";
  files: string[];
  sha256: string;
  inputs: { name: string; features: string[]; broadcast: boolean }[];
  /** The data fingerprint its manifest says it was trained on, when it says. */
  trainingFingerprint: string | null;
  /** Scoring calls with unusable output (NaN/Inf, wrong length), ranked in origin order as the edge would. */
  fallbacks: number;
  /** Why its numbers are not a clean protocol result. */
  caveat: string;
}

/**
 * Training settings of the random protocol's re-ranker (options passed to runProtocols override them), with the
 * epochs and patience it uses when its weights are not averaged (`--swa 0` or `--ema`): see randomProtocolEpochs.
 */
export const RANDOM_PROTOCOL_TRAINING = {
  instances: "window",
  valProtocol: "window",
  negatives: 500,
  batch: 8,
  epochs: 40,
  patience: 10,
  trainCuts: 3,
} as const satisfies Partial<TrainOptions>;

/** Epochs of the random protocol's re-ranker when it keeps a stochastic weight average (its default). */
export const RANDOM_PROTOCOL_SWA_EPOCHS = 30;

/**
 * The random protocol's epochs and averaging start: by default the mean of the weights over the last two thirds
 * of 30 epochs (from epoch 10), since a single net's held-out gain jumps between epochs and the 92 validation
 * users cannot pick one well (model-export/README.md, Measured). An explicit swa keeps it; swa 0 or an ema
 * gives the recipe without averaging (40 epochs, the one validated best kept).
 */
export function randomProtocolEpochs(opts: { epochs?: number; swa?: number; ema?: number }): {
  epochs: number;
  swa: number;
} {
  const averaged = opts.swa !== undefined ? opts.swa > 0 : !opts.ema;
  const epochs = opts.epochs ?? (averaged ? RANDOM_PROTOCOL_SWA_EPOCHS : RANDOM_PROTOCOL_TRAINING.epochs);
  return { epochs, swa: opts.swa ?? (averaged ? Math.ceil(epochs / 3) : 0) };
}

/**
 * Training settings of the temporal protocol's re-ranker: train's recipe (per-view instances), with the epoch
 * picked on the per-user window NDCG@10 of validation users, the metric this protocol's headline reports.
 */
export const TEMPORAL_PROTOCOL_TRAINING = { valProtocol: "window" } as const satisfies Partial<TrainOptions>;

export interface ProtocolOptions extends Omit<TrainOptions, "evaluate" | "version"> {
  protocols?: readonly Protocol[];
}

/** What each protocol holds out, as the reports describe it. */
export const HELD_OUT: Record<Protocol, string> = {
  temporal: "each user's latest 20% held out; the origin sees only what came before",
  random:
    "per user a random 25% held out (all held-out titles relevant), as the public MovieLens 100k table; ranked in the first held-out view's context",
};

/**
 * The held-out stage each protocol scores, built as runProtocols builds it: temporal = the test cut of the
 * temporal split (origin fitted on fit + val), random = the seeded per-user 75/25 split.
 */
export function heldOutStage(
  dataset: Dataset,
  protocol: Protocol,
  seed: number,
  opts: { depth: number; makeGenerator: () => CandidateGenerator; split?: SplitOptions | undefined },
): { stage: Stage; visible: Interaction[] } {
  if (protocol === "temporal") {
    const splits = temporalSplit(dataset, opts.split);
    return { stage: testStage(dataset, splits, opts), visible: splits.flatMap((s) => [...s.fit, ...s.val]) };
  }
  const split = randomSplit(dataset, seed);
  return { stage: buildStage(dataset, split.train, split.test, opts), visible: split.train };
}

/**
 * Runs each protocol end to end: the re-ranker is trained only on that protocol's visible part (no held-out
 * title ever reaches training), the origin CF is fitted on the same part, and popularity, origin order and
 * origin + re-ranker are scored on the held-out titles.
 */
export async function runProtocols(dataset: Dataset, opts: ProtocolOptions = {}): Promise<EvaluationReport> {
  const seed = opts.seed ?? 1;
  const depth = opts.depth ?? 500;
  const log = opts.log ?? (() => {});
  const results: ProtocolResult[] = [];
  for (const protocol of opts.protocols ?? PROTOCOLS) {
    const t0 = performance.now();
    log(`${protocol}: training on the visible part`);
    if (protocol === "temporal") {
      // The epoch is picked on what this protocol reports: one ranking per validation user, every held-out
      // title relevant (train's default picks it on per-view next-title NDCG, the serving task).
      const trained = await trainModel(dataset, {
        ...TEMPORAL_PROTOCOL_TRAINING,
        ...opts,
        seed,
        depth,
        evaluate: true,
      });
      const e = trained.report.test as Evaluation;
      results.push({
        protocol,
        description: `temporal: ${HELD_OUT.temporal}, and so does the re-ranker (epoch picked on validation users' per-user NDCG@10)`,
        headline: e.window,
        evaluation: e,
        trainedOn: await describeVisible(temporalSplit(dataset, opts.split).flatMap((s) => [...s.fit, ...s.val])),
        origin: trained.report.generator,
        ema: trained.report.fit.ema,
        swa: trained.report.fit.swa,
        seconds: (performance.now() - t0) / 1000,
      });
      continue;
    }
    const split = randomSplit(dataset, seed);
    const visible: Dataset = { ...dataset, interactions: split.train };
    // Trained for this protocol: random held-out quarters of the visible part, all relevant, one ranking each.
    // One instance per list makes epochs cheap, so each list's softmax runs over all its candidates, in small
    // batches and for more epochs, over three seeded quarters (three CF fits) rather than one.
    const trained = await trainModel(visible, {
      ...RANDOM_PROTOCOL_TRAINING,
      ...opts,
      ...randomProtocolEpochs(opts),
      labels: "random",
      seed,
      depth,
      evaluate: false,
    });
    const { stage } = heldOutStage(dataset, "random", seed, {
      depth,
      makeGenerator: opts.makeGenerator ?? (() => new EaseGenerator()),
    });
    const e = evaluate(stage, new CachedListScorer(trained.model).score);
    results.push({
      protocol,
      description: `random: ${HELD_OUT.random}`,
      headline: e.window,
      evaluation: e,
      trainedOn: await describeVisible(split.train),
      origin: originOf(stage),
      ema: trained.report.fit.ema,
      swa: trained.report.fit.swa,
      seconds: (performance.now() - t0) / 1000,
    });
  }
  return {
    dataset: dataset.name,
    fingerprint: await fingerprintInteractions(dataset.interactions),
    seed,
    depth,
    teachers: opts.teachers ?? 0,
    results,
  };
}

/** The name and hyper-parameters of the origin CF a stage's candidates came from. */
export function originOf(stage: Stage): ProtocolResult["origin"] {
  return { name: stage.generator.name, params: { ...stage.generator.params } };
}

/** Size and fingerprint of the part a protocol's origin (and re-ranker) was fitted on. */
export async function describeVisible(xs: Interaction[]): Promise<ProtocolResult["trainedOn"]> {
  return { interactions: xs.length, fingerprint: await fingerprintInteractions(xs) };
}

const METHOD_NAMES: Record<Method, string> = {
  popularity: "popularity",
  origin: "origin order",
  model: "origin + re-ranker",
};
const METRIC_NAMES: [keyof Metrics, string][] = [
  ["ndcg10", "NDCG@10"],
  ["recall10", "Recall@10"],
  ["hit10", "HitRate@10"],
  ["mrr", "MRR"],
];
const COLORS: Record<Method, string> = { popularity: "#9aa5b1", origin: "#3e7cb1", model: "#e07a1f" };

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);
}

/** One grouped bar chart (metrics x methods) as inline SVG. */
function chart(r: ProtocolResult, names: Record<Method, string> = METHOD_NAMES): string {
  const w = 640;
  const h = 260;
  const top = 20;
  const bottom = 40;
  const max = Math.max(
    1e-9,
    ...METRIC_NAMES.flatMap(([k]) => (Object.keys(COLORS) as Method[]).map((m) => r.headline[m][k])),
  );
  const groupW = w / METRIC_NAMES.length;
  const barW = groupW / 4.5;
  const bars: string[] = [];
  METRIC_NAMES.forEach(([key, label], g) => {
    (Object.keys(COLORS) as Method[]).forEach((m, i) => {
      const v = r.headline[m][key];
      const bh = ((h - top - bottom) * v) / max;
      const x = g * groupW + groupW * 0.12 + i * (barW + 4);
      const y = h - bottom - bh;
      bars.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${bh.toFixed(1)}" fill="${COLORS[m]}"><title>${esc(names[m])} ${label}: ${v.toFixed(4)}</title></rect>`,
        `<text x="${(x + barW / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" font-size="10" text-anchor="middle">${v.toFixed(3)}</text>`,
      );
    });
    bars.push(
      `<text x="${(g * groupW + groupW / 2).toFixed(1)}" y="${h - bottom + 18}" font-size="13" text-anchor="middle">${label}</text>`,
    );
  });
  return `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(r.protocol)} protocol metrics">${bars.join("")}<line x1="0" x2="${w}" y1="${h - bottom}" y2="${h - bottom}" stroke="#333"/></svg>`;
}

/** Per protocol a chart, a table and the re-ranker's gain over origin order; `prefix` heads each section. */
function sectionsHtml(report: EvaluationReport, names: Record<Method, string>, prefix = ""): string[] {
  const given = report.model;
  return report.results.map((r) => {
    const rows = (Object.keys(COLORS) as Method[])
      .map(
        (m) =>
          `<tr><td>${esc(names[m])}</td>${METRIC_NAMES.map(([k]) => `<td>${r.headline[m][k].toFixed(4)}</td>`).join("")}</tr>`,
      )
      .join("");
    const gain = r.headline.model.ndcg10 - r.headline.origin.ndcg10;
    const averaged = r.ema
      ? `, its weights' moving average kept (decay ${r.ema} per step)`
      : r.swa
        ? `, the mean of its weights from epoch ${r.swa} on kept (stochastic weight averaging)`
        : "";
    return `<section><h2>${esc(prefix + r.protocol)}</h2><p>${esc(r.description)}. ${r.headline.model.count} users; ${given ? "origin fitted" : "trained"} on ${r.trainedOn.interactions} interactions${averaged}.</p>
<p class="gain">${given ? esc(given.version) : "re-ranker"} vs origin order, NDCG@10: <b>${signed(gain, 4)} (${pct(relativeTo(gain, r.headline.origin.ndcg10))})</b></p>
${chart(r, names)}
<table><tr><th>ranker</th>${METRIC_NAMES.map(([, l]) => `<th>${l}</th>`).join("")}</tr>${rows}</table></section>`;
  });
}

function page(dataset: string, intro: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>frontrow evaluation: ${esc(dataset)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:720px}table{border-collapse:collapse;margin-top:.5em}td,th{padding:2px 10px;text-align:right}td:first-child,th:first-child{text-align:left}.legend i{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}.gain b{font-size:16px}.caveat{border-left:4px solid #e07a1f;padding-left:8px}</style>
</head><body><h1>Ranking quality: ${esc(dataset)}</h1>
${intro}
${body}
</body></html>
`;
}

function methodNames(report: EvaluationReport): Record<Method, string> {
  return report.model ? { ...METHOD_NAMES, model: `origin + ${report.model.version}` } : METHOD_NAMES;
}

function legendHtml(names: Record<Method, string>): string {
  const items = (Object.keys(COLORS) as Method[]).map(
    (m) => `<span><i style="background:${COLORS[m]}"></i>${esc(names[m])}</span>`,
  );
  return `<p class="legend">${items.join(" ")}</p>`;
}

/** ", re-rankers distilled from N nets" when they were; nothing otherwise. */
function teachersNote(report: EvaluationReport): string {
  const n = report.teachers ?? 0;
  return n ? `, re-rankers distilled from ${n} net${n === 1 ? "" : "s"} each` : "";
}

function caveatHtml(report: EvaluationReport): string {
  const given = report.model;
  return given
    ? `<p class="caveat"><b>Model as given: ${esc(given.version)}</b> (${esc(given.kind)}, sha256 ${given.sha256.slice(0, 16)}...): ${esc(given.caveat)}.</p>\n`
    : "";
}

/** A self-contained HTML page: per protocol a chart and a table, the re-ranker's gain over origin order. */
export function renderHtml(report: EvaluationReport): string {
  const names = methodNames(report);
  const intro = `<p>data fingerprint ${report.fingerprint.slice(0, 16)}..., seed ${report.seed}, ${report.depth} origin candidates per user${teachersNote(report)}. Full ranking over the origin's candidates, k = 10.</p>
${caveatHtml(report)}${legendHtml(names)}`;
  return page(report.dataset, intro, sectionsHtml(report, names).join("\n"));
}

/** The page for `evaluate --seeds`: the gain across seeds first, then each seed's sections. */
export function renderSeedsHtml(report: SeedsReport): string {
  const first = report.runs[0] as EvaluationReport;
  const names = methodNames(first);
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(4)).join(" / ");
  const rows = report.summary
    .map(
      (s) =>
        `<tr><td>${esc(s.protocol)}</td><td>${fmt(s.origin)}</td><td>${fmt(s.model)}</td><td><b>${signed(s.gain.mean, 4)} (${pct(s.relative)})</b> ± ${s.gain.se.toFixed(4)}</td><td>${s.gain.sd.toFixed(4)}</td></tr>`,
    )
    .join("");
  const intro = `<p>data fingerprint ${report.fingerprint.slice(0, 16)}..., seeds ${report.seeds.join(", ")}, ${report.depth} origin candidates per user${teachersNote(first)}. Full ranking over the origin's candidates, k = 10. Each seed draws the random protocol's split and every training's initialisation and sampling; the spread across seeds is what one run's paired standard error does not show.</p>
${caveatHtml(first)}<table><tr><th>protocol</th><th>origin order NDCG@10 (per seed)</th><th>${esc(names.model)} (per seed)</th><th>gain, mean ± s.e. across seeds</th><th>s.d.</th></tr>${rows}</table>
${legendHtml(names)}`;
  const body = report.runs.flatMap((run) => sectionsHtml(run, names, `seed ${run.seed}: `)).join("\n");
  return page(report.dataset, intro, body);
}
