// CLI: computes every KV key the edge reads (lists, profiles, catalogue, optionally a model) and writes them with Wrangler.

import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { signed } from "../../core/signature.js";
import { createGenerator, GENERATOR_KINDS, type GeneratorKind } from "./cf/index.js";
import {
  activeModelEntry,
  dataEntries,
  type KvEntry,
  modelVersionEntries,
  readModelDir,
  summarize,
  versionEntriesToWrite,
} from "./kv-entries.js";
import { type KvStore, type KvTarget, openStore } from "./kv-store.js";
import { loadDataset } from "./load.js";
import { MAX_DEPTH, OriginRows } from "./rows.js";

const USAGE = `usage: tsx origin/src/publish.ts [--local | --remote] [--data <movielens dir>] [--model-dir <dir>] [--env <name>]
         [--persist-to <dir>] [--seed 42] [--users n] [--items n] [--generator ease|itemknn] [--depth 500] [--dry-run]`;

export interface PublishOptions {
  target: KvTarget;
  data?: string | undefined;
  seed?: number | undefined;
  users?: number | undefined;
  items?: number | undefined;
  generator?: GeneratorKind | undefined;
  modelDir?: string | undefined;
  depth?: number | undefined;
  dryRun?: boolean | undefined;
  /** ARTIFACT_SIGNING_KEY: signs the model manifest (core/signature.ts) so an edge holding the key accepts it. */
  signingKey?: string | undefined;
  log?: (line: string) => void;
  /** Store factory (tests inject one); default: local state or the remote namespace, per target. */
  openStore?: (target: KvTarget) => Promise<KvStore>;
}

export interface PublishResult {
  written: KvEntry[];
  /** Model version keys already present with identical bytes. */
  unchanged: string[];
}

/** Computes and (unless dry-run) writes everything; the model pointer is written last, after its bytes. */
export async function publish(opts: PublishOptions): Promise<PublishResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const t0 = performance.now();
  // Check the model first: a bad manifest should fail before minutes of work.
  const read = opts.modelDir ? await readModelDir(opts.modelDir) : null;
  const model =
    read && opts.signingKey
      ? { ...read, manifestJson: JSON.stringify(await signed("model-manifest", read.manifest, opts.signingKey)) }
      : read;
  const dataset = loadDataset({ data: opts.data, seed: opts.seed, users: opts.users, items: opts.items });
  const generator = createGenerator(opts.generator);
  const tFit = performance.now();
  generator.fit(dataset.interactions);
  log(`publish: ${dataset.name}; fitted ${generator.name} in ${((performance.now() - tFit) / 1000).toFixed(2)} s`);
  const rows = new OriginRows(dataset, generator);
  const data = dataEntries(rows, opts.depth ?? 500);
  const pointer = model ? [activeModelEntry(model.manifest.version, new Date())] : [];
  const tComputed = performance.now();
  let versionEntries: KvEntry[] = model ? modelVersionEntries(model) : [];
  let unchanged: string[] = [];
  let where = "dry run, nothing written";
  if (!opts.dryRun) {
    const store: KvStore = await (opts.openStore ?? openStore)(opts.target);
    where = store.description;
    try {
      if (model) {
        const all = versionEntries;
        versionEntries = await versionEntriesToWrite(all, (key) => store.get(key));
        unchanged = all.filter((e) => !versionEntries.includes(e)).map((e) => e.key);
      }
      await store.putAll([...data, ...versionEntries]);
      // The pointer goes last, so the edge never sees a version whose bytes are not stored yet.
      await store.putAll(pointer);
    } finally {
      await store.close();
    }
  }
  const written = [...data, ...versionEntries, ...pointer];
  const tDone = performance.now();
  log(`publish: ${written.length} keys -> ${where}`);
  let total = 0;
  for (const [kind, s] of summarize(written)) {
    total += s.bytes;
    log(
      `  ${kind.padEnd(26)} ${String(s.keys).padStart(6)} keys ${s.bytes.toLocaleString("en-US").padStart(13)} bytes`,
    );
  }
  for (const key of unchanged) log(`  ${key}: already published with identical bytes, left as is`);
  log(
    `  ${"total".padEnd(26)} ${String(written.length).padStart(6)} keys ${total.toLocaleString("en-US").padStart(13)} bytes`,
  );
  log(
    `publish: computed in ${((tComputed - t0) / 1000).toFixed(2)} s, written in ${((tDone - tComputed) / 1000).toFixed(2)} s`,
  );
  return { written, unchanged };
}

function fail(message: string): never {
  console.error(`publish: ${message}\n${USAGE}`);
  process.exit(2);
}

function intOption(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) fail(`--${name} must be an integer in ${min}..${max}, got "${raw}"`);
  return n;
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        local: { type: "boolean", default: false },
        remote: { type: "boolean", default: false },
        data: { type: "string" },
        "model-dir": { type: "string" },
        env: { type: "string" },
        "persist-to": { type: "string" },
        seed: { type: "string" },
        users: { type: "string" },
        items: { type: "string" },
        generator: { type: "string", default: "ease" },
        depth: { type: "string", default: "500" },
        "dry-run": { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (values.local && values.remote) fail("--local and --remote exclude each other");
  const mode = values.remote ? "remote" : "local";
  const persistTo = values["persist-to"] as string | undefined;
  if (persistTo && mode === "remote") fail("--persist-to applies to --local only");
  const kind = values.generator as string;
  if (!(GENERATOR_KINDS as readonly string[]).includes(kind)) {
    fail(`--generator must be one of ${GENERATOR_KINDS.join(", ")}, got "${kind}"`);
  }
  const data = values.data as string | undefined;
  if (data && !existsSync(data)) fail(`--data: ${data} does not exist`);
  const modelDir = values["model-dir"] as string | undefined;
  if (modelDir && !existsSync(modelDir)) fail(`--model-dir: ${modelDir} does not exist`);
  try {
    await publish({
      target: { mode, env: values.env as string | undefined, persistTo },
      data,
      seed: intOption("seed", values.seed as string | undefined, 0, 0xffffffff),
      users: intOption("users", values.users as string | undefined, 1, 10_000_000),
      items: intOption("items", values.items as string | undefined, 20, 10_000_000),
      generator: kind as GeneratorKind,
      modelDir,
      depth: intOption("depth", values.depth as string, 1, MAX_DEPTH),
      dryRun: values["dry-run"] as boolean,
      signingKey: process.env.ARTIFACT_SIGNING_KEY || undefined,
    });
  } catch (e) {
    console.error(`publish: ${(e as Error).message}`);
    process.exit(1);
  }
}

// Run as a CLI only, so tests can import publish().
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
