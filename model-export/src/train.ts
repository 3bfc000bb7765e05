// CLI: train the re-ranker on synthetic data (default) or a MovieLens directory, evaluate it, export ONNX + manifest.
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { MODEL_VERSION_PATTERN } from "../../core/manifest.js";
import { EaseGenerator } from "../../origin/src/cf/ease.js";
import { ItemKnnGenerator } from "../../origin/src/cf/itemknn.js";
import type { CandidateGenerator } from "../../origin/src/cf/types.js";
import type { Dataset } from "../../origin/src/dataset.js";
import { loadMovieLens } from "../../origin/src/movielens.js";
import { generateSynthetic } from "../../origin/src/synthetic.js";
import { formatEvaluation } from "./evaluate.js";
import { type TrainOptions, trainModel } from "./index.js";

const USAGE = `usage: tsx model-export/src/train.ts [--data <movielens dir>] [--seed N] [--epochs N] [--out DIR] [--version V]
       [--users N] [--items N] [--generator ease|itemknn] [--loss softmax|pairwise] [--instances event|window]
  --data        a MovieLens directory (movies.csv, ratings.csv[, tags.csv]); default: the synthetic generator
  --users/items synthetic data set size (default 1000 users, 1500 titles; synthetic only)
  --out         output directory (default model-export/out): model.onnx, manifest.json, report.json`;

/** Raised for bad command-line input; printed without a stack trace. */
class UsageError extends Error {}

function intArg(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new UsageError(`--${name}: "${value}" is not an integer >= ${min}`);
  return Number(value);
}

function choice<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${name}: "${value}" is not one of ${allowed.join(", ")}`);
  return value as T;
}

/** Writes a file so readers never see it half-written: a temp file in the same directory, then rename. */
function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

async function main(argv: string[]): Promise<void> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: "string" },
        seed: { type: "string" },
        epochs: { type: "string" },
        out: { type: "string" },
        version: { type: "string" },
        users: { type: "string" },
        items: { type: "string" },
        generator: { type: "string" },
        loss: { type: "string" },
        instances: { type: "string" },
        help: { type: "boolean" },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help) {
    console.log(USAGE);
    return;
  }
  const str = (k: string) => v[k] as string | undefined;
  const seed = intArg("seed", str("seed"), 0) ?? 1;
  const epochs = intArg("epochs", str("epochs"), 1);
  const version = str("version");
  if (version !== undefined && !MODEL_VERSION_PATTERN.test(version)) {
    throw new UsageError(`--version: "${version}" must be 1-64 of [A-Za-z0-9._-], starting with a letter or digit`);
  }
  const generator = choice("generator", str("generator"), ["ease", "itemknn"] as const) ?? "ease";
  const loss = choice("loss", str("loss"), ["softmax", "pairwise"] as const);
  const instances = choice("instances", str("instances"), ["event", "window"] as const);
  const out = resolve(str("out") ?? "model-export/out");
  const dataDir = str("data");
  if (dataDir && (str("users") || str("items")))
    throw new UsageError("--users/--items apply to synthetic data only, not with --data");

  const t0 = performance.now();
  let dataset: Dataset;
  if (dataDir) {
    dataset = loadMovieLens(dataDir);
  } else {
    dataset = generateSynthetic({
      users: intArg("users", str("users"), 1) ?? 1000,
      items: intArg("items", str("items"), 20) ?? 1500,
      seed,
    });
  }
  const tData = performance.now();
  console.log(
    `data: ${dataset.name}: ${dataset.users.length} users, ${dataset.items.length} titles, ${dataset.interactions.length} interactions (${((tData - t0) / 1000).toFixed(1)}s)`,
  );

  const makeGenerator = (): CandidateGenerator => (generator === "ease" ? new EaseGenerator() : new ItemKnnGenerator());
  const opts: TrainOptions = {
    seed,
    makeGenerator,
    log: (line) => console.log(line),
    ...(epochs !== undefined ? { epochs } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(loss !== undefined ? { loss } : {}),
    ...(instances !== undefined ? { instances } : {}),
  };
  const result = await trainModel(dataset, opts);
  const { report, manifest, onnx } = result;
  if (report.test)
    console.log(formatEvaluation(`test cut, all users (${report.test.window.model.count} users)`, report.test));
  if (report.testHeldOutUsers) {
    console.log(formatEvaluation("test cut, validation users only (never trained on)", report.testHeldOutUsers));
  }

  mkdirSync(out, { recursive: true });
  // Bytes first: a manifest must never point at a model that is not there yet.
  writeAtomic(join(out, "model.onnx"), onnx);
  writeAtomic(join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  writeAtomic(join(out, "report.json"), `${JSON.stringify({ ...report, manifest }, null, 2)}\n`);
  const s = report.seconds;
  console.log(
    `time: data ${((tData - t0) / 1000).toFixed(1)}s, examples ${s.examples.toFixed(1)}s, fit ${s.fit.toFixed(1)}s, evaluate ${s.evaluate.toFixed(1)}s, total ${((performance.now() - t0) / 1000).toFixed(1)}s`,
  );
  console.log(
    `wrote ${join(out, "model.onnx")} (${onnx.byteLength} bytes, version ${manifest.version}, sha256 ${manifest.sha256.slice(0, 12)}...)`,
  );
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UsageError) {
    console.error(`error: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(e instanceof Error ? `error: ${e.message}` : e);
  process.exit(1);
});
