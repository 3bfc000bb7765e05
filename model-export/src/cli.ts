// The model toolchain CLI (`npm run model -- <command>`): train, export, validate, publish, activate, rollback, list, import, evaluate.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import * as ortWeb from "onnxruntime-web/wasm";
import { FEATURE_COUNT } from "../../core/features.js";
import { MODEL_VERSION_PATTERN, type ModelManifest, ModelManifestSchema } from "../../core/manifest.js";
import { EASE_DEFAULTS, EaseGenerator, type EaseOptions } from "../../origin/src/cf/ease.js";
import { ItemKnnGenerator } from "../../origin/src/cf/itemknn.js";
import type { CandidateGenerator } from "../../origin/src/cf/types.js";
import { DatasetError, readTable } from "../../origin/src/csv.js";
import type { Dataset } from "../../origin/src/dataset.js";
import type { KvTarget } from "../../origin/src/kv-store.js";
import { DEFAULT_SYNTHETIC_SEED } from "../../origin/src/load.js";
import { loadMovieLens } from "../../origin/src/movielens.js";
import { generateSynthetic } from "../../origin/src/synthetic.js";
import { evaluateGivenModel, ImportError, importManifest, parseImportSchema } from "./byom.js";
import { formatEvaluation } from "./evaluate.js";
import { type EpochLog, FIT_DEFAULTS } from "./fit.js";
import { type TrainOptions, trainModel, type VariantReport } from "./index.js";
import {
  activateVersion,
  formatListing,
  LifecycleError,
  listVersions,
  type ModelStore,
  publishVersion,
  rollbackPointer,
} from "./lifecycle.js";
import { buildManifest, mlpFromOnnx, mlpToOnnx } from "./onnx.js";
import {
  type EvaluationReport,
  formatSeedSummary,
  PROTOCOLS,
  type Protocol,
  randomProtocolEpochs,
  renderHtml,
  renderSeedsHtml,
  runProtocols,
  seedsReport,
} from "./protocols.js";
import { compareSpeed, type SpeedComparison } from "./prune.js";
import { DEFAULT_BUDGET, formatValidation, type ValidationReport, validateArtifact } from "./validate.js";

/** A store the CLI can close when done. */
export type ClosableStore = ModelStore & { close(): Promise<void> };

/** Where the CLI writes and which store it opens; tests substitute both. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Progress bar output (stderr on a terminal); absent means plain lines. */
  progress?: ((text: string) => void) | undefined;
  openStore(target: KvTarget): Promise<ClosableStore>;
  now(): Date;
  /** ARTIFACT_SIGNING_KEY: `publish` and `import` sign the manifest with it (core/signature.ts); absent: unsigned. */
  signingKey?: string | undefined;
}

/** Bad command-line input: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}
/** A bad input file or artifact: printed as is (it names the file and field), exit code 2. */
export class InputError extends Error {}

type Values = Record<string, string | boolean | undefined>;

interface Command {
  summary: string;
  usage: string;
  options: Record<string, { type: "string" | "boolean" }>;
  positionals?: boolean;
  run(v: Values, positionals: string[], io: CliIo): Promise<void>;
}

const TARGET_OPTIONS = {
  local: { type: "boolean" },
  remote: { type: "boolean" },
  "persist-to": { type: "string" },
  env: { type: "string" },
} as const;

const TARGET_HELP = `  --local            local KV, the state \`wrangler dev\` reads (default)
  --persist-to DIR   local state directory, as wrangler's --persist-to (default .wrangler/state)
  --remote           the account's namespace through \`wrangler kv\` (needs wrangler login)
  --env NAME         wrangler environment`;

function target(v: Values): KvTarget {
  if (v.local && v.remote) throw new UsageError("--local and --remote exclude each other");
  const mode = v.remote ? "remote" : "local";
  const persistTo = v["persist-to"] as string | undefined;
  if (persistTo && mode === "remote") throw new UsageError("--persist-to applies to --local only");
  return { mode, env: v.env as string | undefined, persistTo };
}

/** The data set a command runs on: a MovieLens directory, or the synthetic world sized by --users/--items. */
function loadCliData(dataDir: string | undefined, v: Record<string, unknown>): Dataset {
  if (dataDir && (v.users || v.items || v["data-seed"])) {
    throw new UsageError("--users/--items/--data-seed apply to synthetic data only");
  }
  if (dataDir) {
    const dataset = loadMovieLens(dataDir);
    checkSingleInteractionUsers(dataDir, dataset);
    return dataset;
  }
  return generateSynthetic({
    users: intArg("users", v.users as string | undefined, 1) ?? 1000,
    items: intArg("items", v.items as string | undefined, 20) ?? 1500,
    seed: intArg("data-seed", v["data-seed"] as string | undefined, 0) ?? DEFAULT_SYNTHETIC_SEED,
  });
}

function intArg(name: string, value: string | boolean | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^\d+$/.test(value) || Number(value) < min)
    throw new UsageError(`--${name}: "${value}" is not an integer >= ${min}`);
  return Number(value);
}

/** --ema D and --swa E, as train and evaluate take them: the two averages exclude each other (0 is none). */
function averagingArgs(v: Record<string, string | boolean | undefined>): {
  ema: number | undefined;
  swa: number | undefined;
} {
  const ema = decayArg("ema", v.ema);
  const swa = intArg("swa", v.swa, 0);
  if (ema && swa) throw new UsageError("--ema and --swa exclude each other");
  return { ema, swa };
}

/**
 * --ease-lambda L and --session-weight W, as train and evaluate take them: the origin EASE's regularisation and
 * the weight of its session rows (0 is plain EASE, as the public tables fit it).
 */
function easeArgs(v: Record<string, string | boolean | undefined>): EaseOptions {
  const lambda = numArg("ease-lambda", v["ease-lambda"]);
  const sessionWeight = numArg(
    "session-weight",
    v["session-weight"],
    (n) => Number.isFinite(n) && n >= 0,
    "a number >= 0",
  );
  return { ...(lambda !== undefined ? { lambda } : {}), ...(sessionWeight !== undefined ? { sessionWeight } : {}) };
}

const EASE_USAGE = `  --ease-lambda L     the origin EASE's L2 regularisation (default ${EASE_DEFAULTS.lambda})
  --session-weight W  the weight of EASE's session rows, the titles a user watched within ${EASE_DEFAULTS.sessionMs / 60_000} minutes
                      (default ${EASE_DEFAULTS.sessionWeight}; 0 is plain EASE, as the public tables fit it)`;

/** --swa E must name an epoch the training reaches. */
function checkSwaEpochs(swa: number | undefined, epochs: number): void {
  if (swa !== undefined && swa > epochs)
    throw new UsageError(`--swa: epoch ${swa} is past the last epoch (${epochs}); give --epochs N >= ${swa}`);
}

/** A number option inside a range `what` names ("a positive number", "a number in [0, 1)"). */
function numArg(
  name: string,
  value: string | boolean | undefined,
  ok: (n: number) => boolean = (n) => Number.isFinite(n) && n > 0,
  what = "a positive number",
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !ok(n))
    throw new UsageError(`--${name}: "${value}" is not ${what}`);
  return n;
}

/** A weight-averaging decay in [0, 1) (0 turns averaging off). */
const decayArg = (name: string, value: string | boolean | undefined) =>
  numArg(name, value, (n) => n >= 0 && n < 1, "a number in [0, 1)");

function choice<T extends string>(
  name: string,
  value: string | boolean | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value as string))
    throw new UsageError(`--${name}: "${value}" is not one of ${allowed.join(", ")}`);
  return value as T;
}

/** `--seeds 1,2,3`: two or more distinct integers >= 0. */
function seedsArg(value: string | boolean | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = typeof value === "string" ? value.split(",") : [];
  if (parts.length < 2 || parts.some((p) => !/^\d+$/.test(p)))
    throw new UsageError(`--seeds: "${value}" is not a comma-separated list of two or more integers >= 0`);
  const seeds = parts.map(Number);
  const dup = seeds.find((x, i) => seeds.indexOf(x) !== i);
  if (dup !== undefined) throw new UsageError(`--seeds: seed ${dup} is listed twice`);
  return seeds;
}

function versionArg(value: string | boolean | undefined, what = "--version"): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !MODEL_VERSION_PATTERN.test(value))
    throw new UsageError(`${what}: "${value}" must be 1-64 of [A-Za-z0-9._-], starting with a letter or digit`);
  return value;
}

function dateArg(value: string | boolean | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value as string);
  if (typeof value !== "string" || Number.isNaN(d.getTime()))
    throw new UsageError(`--created-at: "${value}" is not an ISO date`);
  return d;
}

/** Reads a whole file; a missing or empty file is an InputError naming it. */
export function readInput(file: string): Buffer {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new InputError(`${file}: cannot read file (${(e as NodeJS.ErrnoException).code ?? "unknown error"})`);
  }
  if (buf.length === 0) throw new InputError(`${file}: empty file`);
  return buf;
}

function readJsonFile(file: string): unknown {
  const text = readInput(file).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** Writes a file so readers never see it half-written: a temp file in the same directory, then rename. */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Writes an artifact directory: bytes first, so a manifest never names a model that is not there. */
function writeArtifact(dir: string, onnx: Uint8Array, manifest: ModelManifest): void {
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, "model.onnx"), onnx);
  writeAtomic(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** The artifact a command names: `<dir>` (model.onnx + manifest.json) or --model and --manifest. */
function artifactPaths(v: Values, positionals: string[]): { onnxFile: string; manifestFile: string } {
  const dir = positionals[0];
  if (positionals.length > 1) throw new UsageError(`one artifact directory expected, got ${positionals.length}`);
  if (dir && (v.model || v.manifest)) throw new UsageError("give a directory or --model and --manifest, not both");
  if (dir) return { onnxFile: join(dir, "model.onnx"), manifestFile: join(dir, "manifest.json") };
  if (!v.model || !v.manifest) throw new UsageError("give an artifact directory, or both --model and --manifest");
  return { onnxFile: v.model as string, manifestFile: v.manifest as string };
}

function budgetOf(v: Values) {
  return {
    maxBytes: intArg("max-bytes", v["max-bytes"], 1) ?? DEFAULT_BUDGET.maxBytes,
    maxMsAt1000: numArg("max-ms", v["max-ms"]) ?? DEFAULT_BUDGET.maxMsAt1000,
  };
}

/** Validates and throws an InputError listing every problem when the artifact fails. */
async function validateOrThrow(
  bytes: Uint8Array,
  manifestRaw: unknown,
  files: { onnxFile: string; manifestFile: string },
  v: Values,
  io: CliIo,
): Promise<ModelManifest> {
  const report: ValidationReport = await validateArtifact(bytes, manifestRaw, { ...files, budget: budgetOf(v) });
  if (!report.ok) throw new InputError(formatValidation(report));
  io.out(formatValidation(report));
  return ModelManifestSchema.parse(manifestRaw);
}

async function withStore<T>(v: Values, io: CliIo, f: (store: ClosableStore) => Promise<T>): Promise<T> {
  const store = await io.openStore(target(v));
  try {
    return await f(store);
  } finally {
    await store.close();
  }
}

/**
 * Refuses users with a single interaction, naming the line of that interaction: the temporal split needs a
 * past and a future for each user, and a one-rating user is usually a truncated export.
 */
export function checkSingleInteractionUsers(dir: string, dataset: Dataset): void {
  const counts = new Map<number, number>();
  for (const x of dataset.interactions) counts.set(x.userId, (counts.get(x.userId) ?? 0) + 1);
  const single = [...counts].filter(([, c]) => c === 1).map(([u]) => u);
  if (single.length === 0) return;
  const file = join(dir, "ratings.csv");
  const table = readTable(readFileSync(file, "utf8"), file, ["userId", "movieId", "rating", "timestamp"]);
  const col = table.column.userId as number;
  const row = table.rows.find((r) => Number(r.fields[col]) === single[0]);
  throw new DatasetError(
    file,
    row?.line ?? null,
    "userId",
    `user ${single[0]} has a single interaction${single.length > 1 ? ` (${single.length} users do)` : ""}; every user needs at least 2 to be split into past and future`,
  );
}

/** A progress bar line for an epoch. */
/** The full model and its variant timed side by side in onnxruntime-web (the worker's engine), `rows` candidates. */
async function webSpeed(full: Uint8Array, variant: Uint8Array, rows: number): Promise<SpeedComparison> {
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.wasm.proxy = false;
  const open = async (bytes: Uint8Array) => {
    const s = await ortWeb.InferenceSession.create(bytes, { graphOptimizationLevel: "all" });
    const input = s.inputNames[0] as string;
    const x = new Float32Array(rows * FEATURE_COUNT).map((_, i) => ((i * 7919) % 1000) / 1000);
    return { s, run: () => s.run({ [input]: new ortWeb.Tensor("float32", x, [rows, FEATURE_COUNT]) }) };
  };
  const a = await open(full);
  const b = await open(variant);
  try {
    return await compareSpeed({ full: a.run, variant: b.run }, rows);
  } finally {
    await a.s.release();
    await b.s.release();
  }
}

/** One paragraph comparing the full model with its pruned variant. */
export function formatVariant(r: VariantReport, speed: SpeedComparison | null): string {
  const pct = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(1)}%`;
  return [
    `variant (pruned to ${r.hidden.join("-")} hidden units): ${r.offered ? "OFFERED" : "not offered"} (NDCG@10 must stay within ${(r.tolerance * 100).toFixed(1)}% of the full model)`,
    `  NDCG@10 per view ${r.ndcg10.full.toFixed(4)} -> ${r.ndcg10.variant.toFixed(4)} (${pct(r.ndcg10.full, r.ndcg10.variant)}), per user ${r.ndcg10.fullWindow.toFixed(4)} -> ${r.ndcg10.variantWindow.toFixed(4)} (${pct(r.ndcg10.fullWindow, r.ndcg10.variantWindow)})`,
    `  size ${r.onnxBytes.full} -> ${r.onnxBytes.variant} bytes, ${r.macsPerCandidate.full} -> ${r.macsPerCandidate.variant} multiply-adds per candidate${
      speed
        ? `, onnxruntime-web at ${speed.rows} candidates ${speed.fullMs.toFixed(3)} -> ${speed.variantMs.toFixed(3)} ms (median, side by side)`
        : ""
    }`,
  ].join("\n");
}

export function progressLine(e: EpochLog, maxEpochs: number, width = 24): string {
  const filled = Math.round((width * e.epoch) / maxEpochs);
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] epoch ${e.epoch}/${maxEpochs}  loss ${e.loss.toFixed(4)}  val NDCG@10 ${e.valNdcg10.toFixed(4)}`;
}

const COMMANDS: Record<string, Command> = {
  train: {
    summary: "train a re-ranker on synthetic data or a MovieLens directory; writes model, manifest and report",
    usage: `usage: npm run model -- train [--data <movielens dir>] [--seed N] [--data-seed N] [--epochs N] [--out DIR] [--version V]
         [--users N] [--items N] [--generator ease|itemknn] [--loss softmax|pairwise] [--instances event|window]
         [--created-at ISO] [--teachers N] [--ema D | --swa E] [--ease-lambda L] [--session-weight W]
         [--no-evaluate] [--no-variant]
  --data        a MovieLens directory (movies.csv, ratings.csv[, tags.csv]); default: the synthetic generator
  --users/items synthetic data set size (default 1000 users, 1500 titles; synthetic only)
  --seed        seeds initialisation and sampling: same seeds, same bytes (default 1)
  --data-seed   seeds the synthetic world (default 42: the world the origin serves by default)
  --created-at  fix the manifest's createdAt (and default version date) for reproducible manifests
  --out         output directory (default model-export/out): model.onnx, manifest.json, report.json
  --teachers N  distil: first train N nets (seeds seed+1 ... seed+N), then the model on their averaged scores.
                It serves at one net's cost and ranks like their average; training takes N + 1 fits
  --ema D       keep the moving average of the weights over the training steps (decay D per step, e.g. 0.999,
                started from the initial weights) instead of the last step's; 0, the default, turns it off
  --swa E       stochastic weight averaging: train every epoch (no early stop) and keep the plain mean of the
                weights at the end of epochs E to the last; 0, the default, turns it off; excludes --ema
  --no-variant  skip the pruned variant. By default train also prunes every hidden layer to half its units
                (least important first), fine-tunes, and measures it on the same held-out lists; when its
                NDCG@10 is within 0.5% of the full model it is written to DIR/pruned (export --variant pruned)
                and report.json compares both: NDCG@10, size, multiply-adds and onnxruntime-web time.
${EASE_USAGE}`,
    options: {
      data: { type: "string" },
      seed: { type: "string" },
      "data-seed": { type: "string" },
      epochs: { type: "string" },
      out: { type: "string" },
      version: { type: "string" },
      users: { type: "string" },
      items: { type: "string" },
      generator: { type: "string" },
      loss: { type: "string" },
      instances: { type: "string" },
      "created-at": { type: "string" },
      teachers: { type: "string" },
      ema: { type: "string" },
      swa: { type: "string" },
      "ease-lambda": { type: "string" },
      "session-weight": { type: "string" },
      "no-evaluate": { type: "boolean" },
      "no-variant": { type: "boolean" },
    },
    async run(v, _p, io) {
      const seed = intArg("seed", v.seed, 0) ?? 1;
      const epochs = intArg("epochs", v.epochs, 1);
      const teachers = intArg("teachers", v.teachers, 0);
      const { ema, swa } = averagingArgs(v);
      const version = versionArg(v.version);
      const generator = choice("generator", v.generator, ["ease", "itemknn"] as const) ?? "ease";
      const ease = easeArgs(v);
      if (generator !== "ease" && Object.keys(ease).length > 0)
        throw new UsageError("--ease-lambda and --session-weight apply to --generator ease only");
      const loss = choice("loss", v.loss, ["softmax", "pairwise"] as const);
      const instances = choice("instances", v.instances, ["event", "window"] as const);
      const createdAt = dateArg(v["created-at"]);
      const out = resolve((v.out as string | undefined) ?? "model-export/out");
      const dataDir = v.data as string | undefined;
      const t0 = performance.now();
      const dataset = loadCliData(dataDir, v);
      const tData = performance.now();
      io.out(
        `data: ${dataset.name}: ${dataset.users.length} users, ${dataset.items.length} titles, ${dataset.interactions.length} interactions (${((tData - t0) / 1000).toFixed(1)}s)`,
      );
      const makeGenerator = (): CandidateGenerator =>
        generator === "ease" ? new EaseGenerator(ease) : new ItemKnnGenerator();
      const bar = io.progress;
      let barShown = false;
      const opts: TrainOptions = {
        seed,
        makeGenerator,
        evaluate: !v["no-evaluate"],
        variant: !v["no-variant"],
        // On a terminal the bar replaces the per-epoch lines; elsewhere those lines are the progress.
        log: (line) => {
          if (bar && line.startsWith("epoch ")) return;
          if (barShown) bar?.("\n");
          barShown = false;
          io.out(line);
        },
        ...(bar
          ? {
              onEpoch: (e: EpochLog, max: number) => {
                bar(`\r${progressLine(e, max)}`);
                barShown = true;
              },
            }
          : {}),
        ...(epochs !== undefined ? { epochs } : {}),
        ...(version !== undefined ? { version } : {}),
        ...(createdAt !== undefined ? { createdAt } : {}),
        ...(loss !== undefined ? { loss } : {}),
        ...(instances !== undefined ? { instances } : {}),
        ...(teachers !== undefined ? { teachers } : {}),
        ...(ema !== undefined ? { ema } : {}),
        ...(swa !== undefined ? { swa } : {}),
      };
      checkSwaEpochs(swa, opts.epochs ?? FIT_DEFAULTS.epochs);
      const { report, manifest, onnx, variant } = await trainModel(dataset, opts);
      if (barShown) bar?.("\n");
      if (report.test)
        io.out(formatEvaluation(`test cut, all users (${report.test.window.model.count} users)`, report.test));
      let speed: SpeedComparison | null = null;
      if (variant && report.variant) {
        speed = await webSpeed(onnx, variant.onnx, 500);
        io.out(formatVariant(report.variant, speed));
      }
      writeArtifact(out, onnx, manifest);
      const prunedDir = join(out, "pruned");
      // A variant from an earlier run must not outlive this one: it would pair with another full model.
      rmSync(prunedDir, { recursive: true, force: true });
      if (variant && report.variant?.offered) writeArtifact(prunedDir, variant.onnx, variant.manifest);
      writeAtomic(
        join(out, "report.json"),
        `${JSON.stringify({ ...report, variant: report.variant && { ...report.variant, speed }, manifest }, null, 2)}\n`,
      );
      io.out(
        `time: data ${((tData - t0) / 1000).toFixed(1)}s, examples ${report.seconds.examples.toFixed(1)}s, fit ${report.seconds.fit.toFixed(1)}s, evaluate ${report.seconds.evaluate.toFixed(1)}s, total ${((performance.now() - t0) / 1000).toFixed(1)}s`,
      );
      io.out(
        `wrote ${join(out, "model.onnx")} (${onnx.byteLength} bytes, version ${manifest.version}, sha256 ${manifest.sha256.slice(0, 12)}...), manifest.json, report.json`,
      );
    },
  },

  evaluate: {
    summary: "NDCG@10, Recall@10, HitRate@10, MRR: popularity, origin order, origin + re-ranker or a given model",
    usage: `usage: npm run model -- evaluate [--data <movielens dir>] [--protocol temporal|random|both]
         [--seed N | --seeds N,N,...] [--data-seed N] [--epochs N] [--teachers N] [--ema D | --swa E] [--users N]
         [--items N] [--out DIR] [--ease-lambda L] [--session-weight W]
         [--model <file.onnx> --schema <schema.json> | --model-dir <dir>] [--max-bytes N] [--max-ms MS]
  temporal  each user's latest 20% held out; the origin and the re-ranker are fitted on what came before
  random    per user a random 25% held out, all held-out titles relevant: the protocol of the public
            MovieLens 100k table (see the notes on quality anchors), so numbers are comparable with it
  Each protocol trains its own re-ranker on its visible part only. Writes DIR/evaluation.json and
  DIR/evaluation.html (a chart readable at a glance); default DIR model-export/out/eval.
  --seed N      draws the random protocol's split and seeds every training (default 1)
  --seeds A,B   runs the whole evaluation once per seed and adds the gain's mean, s.d. and s.e. across seeds:
                the split moves the gain more than one run's paired standard error shows (evaluation.json
                then holds { seeds, summary, runs })
  --teachers N  each protocol's re-ranker is distilled from N nets, as \`train --teachers N\` does
  --ema D       each protocol's re-ranker keeps its weights' moving average, as \`train --ema D\` does
  --swa E       each protocol's re-ranker keeps the mean of its weights from epoch E on, as \`train --swa E\`.
                The random protocol's re-ranker does by default, from epoch ceil(epochs / 3) (10 of its 30);
                --swa 0 turns that off (the epoch kept is then picked on validation users), --ema replaces it
${EASE_USAGE}
  --model F --schema S   score a model trained elsewhere instead (the schema as for \`import\`)
  --model-dir DIR        score a model-export artifact instead (DIR/model.onnx + DIR/manifest.json)
    The model is validated as \`import\`/\`validate\` do (exit 2 and nothing written when it fails), then run in
    onnxruntime-node on each protocol's held-out lists with the worker's feature code and input mapping
    (broadcast inputs one context row). Nothing is trained (--epochs, --teachers, --ema, --swa do not apply), and the
    report says the result is not clean: the model may have been trained on interactions held out here.`,
    options: {
      data: { type: "string" },
      protocol: { type: "string" },
      seed: { type: "string" },
      seeds: { type: "string" },
      "data-seed": { type: "string" },
      epochs: { type: "string" },
      teachers: { type: "string" },
      ema: { type: "string" },
      swa: { type: "string" },
      "ease-lambda": { type: "string" },
      "session-weight": { type: "string" },
      users: { type: "string" },
      items: { type: "string" },
      out: { type: "string" },
      model: { type: "string" },
      schema: { type: "string" },
      "model-dir": { type: "string" },
      "max-bytes": { type: "string" },
      "max-ms": { type: "string" },
    },
    async run(v, _p, io) {
      const seed = intArg("seed", v.seed, 0);
      const several = seedsArg(v.seeds);
      if (seed !== undefined && several) throw new UsageError("--seed and --seeds exclude each other");
      const seeds = several ?? [seed ?? 1];
      const epochs = intArg("epochs", v.epochs, 1);
      const teachers = intArg("teachers", v.teachers, 0);
      const { ema, swa } = averagingArgs(v);
      const ease = easeArgs(v);
      const makeGenerator = () => new EaseGenerator(ease);
      const which = choice("protocol", v.protocol, [...PROTOCOLS, "both"] as const) ?? "both";
      const protocols: Protocol[] = which === "both" ? [...PROTOCOLS] : [which];
      for (const p of protocols)
        checkSwaEpochs(
          swa,
          p === "random" ? randomProtocolEpochs({ epochs, swa, ema }).epochs : (epochs ?? FIT_DEFAULTS.epochs),
        );
      const out = resolve((v.out as string | undefined) ?? "model-export/out/eval");
      const dataDir = v.data as string | undefined;
      // A given model is checked before any data is loaded: bad input fails fast and writes nothing.
      const given = await givenModel(v, io);
      const trainingOnly =
        epochs !== undefined
          ? "epochs"
          : teachers !== undefined
            ? "teachers"
            : ema !== undefined
              ? "ema"
              : swa !== undefined
                ? "swa"
                : null;
      if (given && trainingOnly)
        throw new UsageError(`--${trainingOnly} applies to re-rankers evaluate trains, not to --model/--model-dir`);
      const dataset = loadCliData(dataDir, v);
      const log = (line: string) => {
        if (!line.startsWith("epoch ")) io.out(line);
      };
      const runs: EvaluationReport[] = [];
      for (const seed of seeds) {
        if (several) io.out(`seed ${seed}`);
        const report = given
          ? await evaluateGivenModel(dataset, given.bytes, given.manifest, given.source, {
              seed,
              protocols,
              log,
              makeGenerator,
            })
          : await runProtocols(dataset, {
              seed,
              protocols,
              log,
              makeGenerator,
              ...(epochs !== undefined ? { epochs } : {}),
              ...(teachers !== undefined ? { teachers } : {}),
              ...(ema !== undefined ? { ema } : {}),
              ...(swa !== undefined ? { swa } : {}),
            });
        if (report.model) io.out(`model ${report.model.version} as given: ${report.model.caveat}`);
        for (const r of report.results) {
          io.out(formatEvaluation(`${r.description} (${r.seconds.toFixed(1)}s)`, r.evaluation));
        }
        if (report.model?.fallbacks) {
          io.out(
            `  ${report.model.fallbacks} scoring calls gave unusable scores (NaN/Inf): ranked in origin order, as the edge would`,
          );
        }
        runs.push(report);
      }
      const acrossSeeds = several ? seedsReport(runs) : null;
      if (acrossSeeds) io.out(formatSeedSummary(acrossSeeds.summary));
      const json = acrossSeeds ?? (runs[0] as EvaluationReport);
      const html = acrossSeeds ? renderSeedsHtml(acrossSeeds) : renderHtml(runs[0] as EvaluationReport);
      mkdirSync(out, { recursive: true });
      writeAtomic(join(out, "evaluation.json"), `${JSON.stringify(json, null, 2)}\n`);
      writeAtomic(join(out, "evaluation.html"), html);
      io.out(`wrote ${join(out, "evaluation.json")} and ${join(out, "evaluation.html")}`);
    },
  },

  export: {
    summary: "re-export a trained model as a publishable artifact (ONNX + manifest with fingerprint and metrics)",
    usage: `usage: npm run model -- export --from <train dir> --out <dir> [--variant full|pruned] [--version V]
         [--created-at ISO]
  --from     a directory written by \`train\` (model.onnx, manifest.json)
  --out      the artifact directory to write (model.onnx, manifest.json)
  --variant  full (default), or pruned: the smaller variant \`train\` offered in <train dir>/pruned (half the
             hidden units, NDCG@10 within 0.5% of the full model; report.json compares the two)
  The graph is rebuilt from the trained weights (Gemm/Relu, opset 17) and the manifest keeps the training
  provenance: data fingerprint, seed, epochs and evaluation metrics.`,
    options: {
      from: { type: "string" },
      out: { type: "string" },
      variant: { type: "string" },
      version: { type: "string" },
      "created-at": { type: "string" },
    },
    async run(v, _p, io) {
      const trainDir = v.from as string | undefined;
      const out = v.out as string | undefined;
      if (!trainDir || !out) throw new UsageError("--from and --out are required");
      const which = choice("variant", v.variant, ["full", "pruned"] as const) ?? "full";
      const from = which === "pruned" ? join(trainDir, "pruned") : trainDir;
      if (which === "pruned" && !existsSync(join(from, "model.onnx"))) {
        throw new InputError(
          `${from}: no pruned variant; \`train\` writes one only when it keeps NDCG@10 within 0.5% of the full model (see ${join(trainDir, "report.json")} "variant")`,
        );
      }
      const version = versionArg(v.version);
      const onnxFile = join(from, "model.onnx");
      const manifestFile = join(from, "manifest.json");
      const bytes = new Uint8Array(readInput(onnxFile));
      const parsed = ModelManifestSchema.safeParse(readJsonFile(manifestFile));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new InputError(`${manifestFile} field "${issue?.path.join(".") || "(root)"}": ${issue?.message}`);
      }
      const training = parsed.data.training as Record<string, unknown> | undefined;
      for (const field of ["dataset", "fingerprint", "seed", "epochs", "metrics"]) {
        if (training?.[field] === undefined)
          throw new InputError(
            `${manifestFile} field "training.${field}": missing; export needs a model from \`train\``,
          );
      }
      let model: ReturnType<typeof mlpFromOnnx>;
      try {
        model = mlpFromOnnx(bytes);
      } catch (e) {
        throw new InputError(`${onnxFile}: not a frontrow-trained ranker (${(e as Error).message})`);
      }
      const onnx = mlpToOnnx(model);
      const manifest = await buildManifest(onnx, {
        ...(version ? { version } : { version: parsed.data.version }),
        createdAt: dateArg(v["created-at"]) ?? io.now(),
        training: training as Parameters<typeof buildManifest>[1]["training"],
      });
      writeArtifact(out, onnx, manifest);
      io.out(`wrote ${out}: model.onnx (${onnx.length} bytes), manifest.json (version ${manifest.version})`);
    },
  },

  validate: {
    summary: "prove an artifact safe: both ORT builds, parity, ops, edge cases, schema, checksum, budget",
    usage: `usage: npm run model -- validate <dir> | --model <file.onnx> --manifest <manifest.json>
         [--max-bytes N] [--max-ms MS] [--json]
  Loads the model in onnxruntime-node and onnxruntime-web (the worker's wasm build); checks the manifest
  (schema, sha256, size, feature schema the edge computes), graph inputs/outputs against it, scores on
  golden and edge-case inputs (zeros, extremes, missing features) finite and equal within 1e-5 in both
  runtimes, and size and 1,000-candidate inference time inside budget (default ${DEFAULT_BUDGET.maxBytes} bytes,
  ${DEFAULT_BUDGET.maxMsAt1000} ms). Exit code 2 when any check fails.`,
    options: {
      model: { type: "string" },
      manifest: { type: "string" },
      "max-bytes": { type: "string" },
      "max-ms": { type: "string" },
      json: { type: "boolean" },
    },
    positionals: true,
    async run(v, positionals, io) {
      const files = artifactPaths(v, positionals);
      const bytes = new Uint8Array(readInput(files.onnxFile));
      const manifestRaw = readJsonFile(files.manifestFile);
      const report = await validateArtifact(bytes, manifestRaw, { ...files, budget: budgetOf(v) });
      if (v.json) io.out(JSON.stringify(report, null, 2));
      if (!report.ok) throw new InputError(formatValidation(report));
      if (!v.json) io.out(formatValidation(report));
    },
  },

  publish: {
    summary: "validate, then put model:<v>:onnx and model:<v>:manifest into KV (never overwrites a version)",
    usage: `usage: npm run model -- publish <dir> | --model <file.onnx> --manifest <manifest.json>
         [--local [--persist-to DIR] | --remote [--env NAME]] [--max-bytes N] [--max-ms MS]
${TARGET_HELP}
  Validation always runs first. Writes the version's own keys only, bytes then manifest (the manifest carries
  the listing metadata and is the commit point); no shared index, so engineers publishing different versions
  at once cannot lose each other's. An interrupted publish is invisible; run it again to complete it.
  Publishing never changes what serves: run \`activate\` for that.`,
    options: {
      model: { type: "string" },
      manifest: { type: "string" },
      "max-bytes": { type: "string" },
      "max-ms": { type: "string" },
      ...TARGET_OPTIONS,
    },
    positionals: true,
    async run(v, positionals, io) {
      const files = artifactPaths(v, positionals);
      target(v);
      const bytes = new Uint8Array(readInput(files.onnxFile));
      const manifest = await validateOrThrow(bytes, readJsonFile(files.manifestFile), files, v, io);
      await publishTo(v, io, bytes, manifest);
    },
  },

  activate: {
    summary: "point the global or one region's model pointer at a published version",
    usage: `usage: npm run model -- activate <version> [--region R] [--local [--persist-to DIR] | --remote [--env NAME]]
  --region R   only requests from region R (model:active:R); default: the global pointer model:active
${TARGET_HELP}
  The version is checked by reading its own keys (manifest, bytes against its sha256), so a version
  published a moment ago can be activated even before \`list\` shows it. One write: the pointer; the
  previous version is kept in the pointer's history, so \`rollback\` is one write too.`,
    options: { region: { type: "string" }, ...TARGET_OPTIONS },
    positionals: true,
    async run(v, positionals, io) {
      if (positionals.length !== 1) throw new UsageError("activate takes exactly one version");
      const version = versionArg(positionals[0], "version") as string;
      const region = v.region as string | undefined;
      const change = await withStore(v, io, (store) =>
        activateVersion(store, version, { ...(region ? { region } : {}), now: io.now() }),
      );
      io.out(
        change.changed
          ? `${change.key}: ${change.from ?? "(none)"} -> ${change.to}`
          : `${change.key}: already ${change.to}, nothing written`,
      );
    },
  },

  rollback: {
    summary: "point the global or one region's pointer back at its previous version",
    usage: `usage: npm run model -- rollback [--region R] [--local [--persist-to DIR] | --remote [--env NAME]]
  One KV write. Rolling back a region's first activation removes the region's pointer: the region follows the
  global pointer again.
${TARGET_HELP}`,
    options: { region: { type: "string" }, ...TARGET_OPTIONS },
    async run(v, _p, io) {
      const region = v.region as string | undefined;
      const change = await withStore(v, io, (store) =>
        rollbackPointer(store, { ...(region ? { region } : {}), now: io.now() }),
      );
      io.out(`${change.key}: ${change.from} -> ${change.to} (rolled back)`);
    },
  },

  list: {
    summary: "published versions, their metrics, and which is active where",
    usage: `usage: npm run model -- list [--json] [--local [--persist-to DIR] | --remote [--env NAME]]
${TARGET_HELP}
  Lists the model:* keys: every model:<v>:manifest is a version, every model:active:<region> a region
  pointer; an index model:versions left by earlier tools is merged. KV listings are eventually consistent:
  on a real account a version or region written in the last ~60 s may not show yet (activate does not
  depend on the listing).`,
    options: { json: { type: "boolean" }, ...TARGET_OPTIONS },
    async run(v, _p, io) {
      const listing = await withStore(v, io, (store) => listVersions(store));
      io.out(v.json ? JSON.stringify(listing, null, 2) : formatListing(listing));
    },
  },

  import: {
    summary: "bring your own ONNX model: map its inputs to frontrow features, validate, publish",
    usage: `usage: npm run model -- import --model <file.onnx> --schema <schema.json> [--out DIR] [--dry-run]
         [--created-at ISO] [--local [--persist-to DIR] | --remote [--env NAME]] [--max-bytes N] [--max-ms MS]
  schema.json: { "version": "...", "output": "<graph output>",
                 "inputs": [ { "name": "<graph input>", "features": ["cf_score", ...] },
                             { "name": "<context input>", "features": ["hour_sin", ...], "broadcast": true } ],
                 "training": { ...free-form provenance } }
  A broadcast input takes one row ([1, k]) shared by every candidate; the others one row per candidate.
  --out DIR   also write the artifact (model.onnx, manifest.json)
  --dry-run   build and validate only; publish nothing
${TARGET_HELP}`,
    options: {
      model: { type: "string" },
      schema: { type: "string" },
      out: { type: "string" },
      "dry-run": { type: "boolean" },
      "created-at": { type: "string" },
      "max-bytes": { type: "string" },
      "max-ms": { type: "string" },
      ...TARGET_OPTIONS,
    },
    async run(v, _p, io) {
      const onnxFile = v.model as string | undefined;
      const schemaFile = v.schema as string | undefined;
      if (!onnxFile || !schemaFile) throw new UsageError("--model and --schema are required");
      target(v);
      const bytes = new Uint8Array(readInput(onnxFile));
      const schema = parseImportSchema(readInput(schemaFile).toString("utf8"), schemaFile);
      const createdAt = dateArg(v["created-at"]) ?? io.now();
      const manifest = await importManifest(bytes, schema, { onnxFile, schemaFile, createdAt });
      await validateOrThrow(bytes, manifest, { onnxFile, manifestFile: `${schemaFile} (as manifest)` }, v, io);
      if (v.out) {
        writeArtifact(v.out as string, bytes, manifest);
        io.out(`wrote ${v.out}: model.onnx, manifest.json (version ${manifest.version})`);
      }
      if (v["dry-run"]) {
        io.out("dry run: nothing published");
        return;
      }
      await publishTo(v, io, bytes, manifest, "imported");
    },
  },
};

/**
 * The model `evaluate --model F --schema S` or `--model-dir DIR` names, built and validated exactly as `import`
 * and `validate` do (ImportError / InputError, exit 2); null when neither is given.
 */
async function givenModel(
  v: Values,
  io: CliIo,
): Promise<{
  bytes: Uint8Array;
  manifest: ModelManifest;
  source: { kind: "imported" | "artifact"; files: string[] };
} | null> {
  const dir = v["model-dir"] as string | undefined;
  const onnxFile = v.model as string | undefined;
  const schemaFile = v.schema as string | undefined;
  if (dir && (onnxFile || schemaFile)) throw new UsageError("give --model-dir, or --model with --schema, not both");
  if (dir) {
    const files = { onnxFile: join(dir, "model.onnx"), manifestFile: join(dir, "manifest.json") };
    const bytes = new Uint8Array(readInput(files.onnxFile));
    const manifest = await validateOrThrow(bytes, readJsonFile(files.manifestFile), files, v, io);
    return { bytes, manifest, source: { kind: "artifact", files: [files.onnxFile, files.manifestFile] } };
  }
  if (!onnxFile && !schemaFile) return null;
  if (!onnxFile || !schemaFile) throw new UsageError("--model and --schema go together (or give --model-dir)");
  const bytes = new Uint8Array(readInput(onnxFile));
  const schema = parseImportSchema(readInput(schemaFile).toString("utf8"), schemaFile);
  const manifest = await importManifest(bytes, schema, { onnxFile, schemaFile, createdAt: io.now() });
  await validateOrThrow(bytes, manifest, { onnxFile, manifestFile: `${schemaFile} (as manifest)` }, v, io);
  return { bytes, manifest, source: { kind: "imported", files: [onnxFile, schemaFile] } };
}

async function publishTo(v: Values, io: CliIo, bytes: Uint8Array, manifest: ModelManifest, source = "trained") {
  const outcome = await withStore(v, io, (store) =>
    publishVersion(store, bytes, manifest, {
      now: io.now(),
      source,
      ...(io.signingKey ? { signingKey: io.signingKey } : {}),
    }).then((o) => ({ ...o, where: store.description })),
  );
  io.out(
    io.signingKey
      ? "manifest signed with ARTIFACT_SIGNING_KEY (HMAC-SHA256)"
      : "ARTIFACT_SIGNING_KEY is not set: published unsigned (an edge that holds a signing key will refuse it)",
  );
  for (const key of outcome.resumed) io.out(`  ${key}: found from an interrupted publish with identical bytes`);
  io.out(`published ${manifest.version} to ${outcome.where} (${outcome.written.join(", ")})`);
  io.out(`activate it with: npm run model -- activate ${manifest.version} [--region R]`);
}

/** Registers a command defined in another module (evaluate lives beside its protocols). */
export function registerCommand(name: string, command: Command): void {
  COMMANDS[name] = command;
}

function topUsage(): string {
  const lines = ["usage: npm run model -- <command> [options]   (<command> --help for its options)", "commands:"];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  return lines.join("\n");
}

/** Runs one CLI invocation and returns its exit code: 0 done, 2 bad input, 1 anything else. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.out(topUsage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`error: unknown command "${name}"\n${topUsage()}`);
    return 2;
  }
  try {
    let parsed: { values: Values; positionals: string[] };
    try {
      parsed = parseArgs({
        args: rest,
        strict: true,
        allowPositionals: command.positionals ?? false,
        options: { ...command.options, help: { type: "boolean", short: "h" } },
      }) as { values: Values; positionals: string[] };
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (parsed.values.help) {
      io.out(command.usage);
      return 0;
    }
    await command.run(parsed.values, parsed.positionals, io);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}\n${command.usage}`);
      return 2;
    }
    if (
      e instanceof InputError ||
      e instanceof DatasetError ||
      e instanceof ImportError ||
      e instanceof LifecycleError
    ) {
      io.err(`error: ${e.message}`);
      return 2;
    }
    io.err(`error: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

/** The process's io: stdout/stderr, a progress bar on a terminal, wrangler-backed stores. */
export function processIo(): CliIo {
  return {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    progress: process.stderr.isTTY ? (text) => process.stderr.write(text) : undefined,
    openStore: async (t) => {
      const { openStore } = await import("../../origin/src/kv-store.js");
      return openStore(t);
    },
    now: () => new Date(),
    signingKey: process.env.ARTIFACT_SIGNING_KEY || undefined,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runCli(process.argv.slice(2), processIo());
}
