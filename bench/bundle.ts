// The worker as `wrangler deploy` uploads it, for the benchmarks and the simulation to run in Miniflare.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { REPO_ROOT } from "../origin/src/kv-store.js";

/**
 * wrangler.toml as wrangler itself resolves it for Miniflare (the origin's local KV store reads it the same way),
 * so the bench runs the compatibility settings and Durable Object bindings a deploy gets.
 */
const configured = unstable_getMiniflareWorkerOptions(join(REPO_ROOT, "wrangler.toml")).workerOptions;
if (!configured.compatibilityDate) throw new Error("wrangler.toml: compatibility_date is not set");

/** wrangler.toml's compatibility settings, for Miniflare runs of the bundle. */
export const WORKER_COMPAT = {
  compatibilityDate: configured.compatibilityDate,
  compatibilityFlags: configured.compatibilityFlags ?? [],
};

/** Upload size as wrangler reports it for a dry-run deploy. */
export interface UploadSize {
  totalKiB: number;
  gzipKiB: number;
}

/**
 * Bundles with `wrangler deploy --dry-run --outdir` (wrangler.toml, or `config`) and returns the upload size
 * wrangler printed.
 */
export function bundleWorker(outdir: string, opts: { config?: string; cwd?: string } = {}): UploadSize {
  const out = execFileSync(
    "npx",
    ["wrangler", "deploy", "--dry-run", "--outdir", outdir, ...(opts.config ? ["--config", opts.config] : [])],
    { encoding: "utf8", cwd: opts.cwd, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  const m = out.match(/Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/);
  if (!m) throw new Error(`could not read the upload size from wrangler's output:\n${out}`);
  return { totalKiB: Number(m[1]), gzipKiB: Number(m[2]) };
}

type ModuleType = "CompiledWasm" | "Text" | "Data" | "ESModule";

/** The module type wrangler.toml's rules give each file of the bundle. */
function moduleType(file: string): ModuleType {
  if (file.endsWith(".wasm")) return "CompiledWasm";
  if (file.endsWith(".jsonc")) return "Text";
  if (file.endsWith(".onnx")) return "Data";
  return "ESModule";
}

/**
 * The bundle's modules as wrangler wrote them, the entry (wrangler names it after the main file) first. Listed
 * for Miniflare by hand: ORT's glue holds a dynamic import() Miniflare cannot follow on its own.
 */
export function bundleModules(outdir: string, entry = "index.js"): { type: ModuleType; path: string }[] {
  const files = readdirSync(outdir).filter((f) => /\.(js|mjs|wasm|jsonc|onnx)$/.test(f));
  if (!files.includes(entry)) throw new Error(`no ${entry} in ${outdir} (wrangler wrote ${files.join(", ")})`);
  return files
    .map((f) => ({ type: moduleType(f), path: join(outdir, f) }))
    .sort((a, b) => Number(b.path.endsWith(`/${entry}`)) - Number(a.path.endsWith(`/${entry}`)));
}

/**
 * The bundle as a Miniflare worker, configured as wrangler.toml configures it apart from KV and vars (which each
 * caller sets): its modules, compatibility settings and the OpsStats Durable Object binding (the entry module
 * exports the class), so requests pay the ops counters and their batched flushes as deployed.
 */
export function bundledWorker(outdir: string) {
  return {
    modulesRoot: outdir,
    modules: bundleModules(outdir),
    ...WORKER_COMPAT,
    durableObjects: configured.durableObjects,
  };
}

/** The KV namespace id wrangler.toml gives the local KV, so `wrangler dev --persist-to` reads what a bench seeds. */
export const KV_ID = "frontrow-kv-local";

/**
 * The bundle in Miniflare on a free loopback port, as the benchmarks serve it. `persist` is a state directory as
 * wrangler's --persist-to takes it (KV under v3/kv). The origin is never asked: every list is in KV, as on a warm
 * edge, and the context headers are honoured so every request ranks in one fixed context.
 */
export function benchMiniflare(outdir: string, persist: string): Miniflare {
  return new Miniflare({
    ...bundledWorker(outdir),
    kvNamespaces: { KV: KV_ID },
    kvPersist: join(persist, "v3", "kv"),
    host: "127.0.0.1",
    port: 0,
    bindings: { ORIGIN_URL: "http://127.0.0.1:9", ALLOW_CONTEXT_OVERRIDE: "true" },
  });
}
