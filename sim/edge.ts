// The simulation's edge: the worker bundled as `wrangler deploy` would, in Miniflare, with KV seeded by the origin's publish path.
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { bundledWorker } from "../bench/bundle.js";
import { activateModel, type KvNamespace, kvStore } from "../bench/seed.js";
import { ConfigKv, type ConfigKv as ConfigKvType, loadConfigDir, publishConfig } from "../edge-config/publish.js";
import type { CandidateGenerator } from "../origin/src/cf/types.js";
import type { Dataset } from "../origin/src/dataset.js";
import { dataEntries, readModelDir } from "../origin/src/kv-entries.js";
import { OriginRows } from "../origin/src/rows.js";

const KV_ID = "frontrow-kv-sim";

// The KV binding the worker sees: every call goes to the real KV namespace, unless the simulation's control
// worker says KV is failing; then every call throws, as a KV outage surfaces in a Worker. The flag is re-read
// at most every 50 ms. Production code is untouched: the worker only gets this object as env.KV.
const KV_WRAPPER = `
let failing = false;
let checkedAt = -Infinity;
async function check(env) {
  const now = Date.now();
  if (now - checkedAt >= 50) {
    checkedAt = now;
    failing = (await (await env.CONTROL.fetch("http://control/kv")).text()) === "fail";
  }
  if (failing) throw new Error("KV GET failed: 503 Service Unavailable (simulated KV outage)");
}
export default function (env) {
  const kv = env.INNER;
  return {
    async get(key, opts) { await check(env); return kv.get(key, opts); },
    async getWithMetadata(key, opts) { await check(env); return kv.getWithMetadata(key, opts); },
    async put(key, value, opts) { await check(env); return kv.put(key, value, opts); },
    async delete(key) { await check(env); return kv.delete(key); },
    async list(opts) { await check(env); return kv.list(opts); },
  };
}
`;

// Holds the KV fault flag the wrapper reads: GET /kv, POST /kv?state=ok|fail.
const CONTROL = `
let kv = "ok";
export default {
  async fetch(req) {
    const url = new URL(req.url);
    if (req.method === "POST") kv = url.searchParams.get("state") === "fail" ? "fail" : "ok";
    return new Response(kv);
  },
};
`;

/** The worker in Miniflare plus handles to its storage and fault controls. */
export interface Edge {
  mf: Miniflare;
  url: string;
  /** The real KV namespace behind the wrapper (the simulation's own writes never fail). */
  kv: KvNamespace;
  setKvFailing(failing: boolean): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * Starts the bundled worker (from `outdir`) with its origin at `originUrl` and KV persisted under `persist`.
 * With `kvFaults` the worker's KV binding is the switchable wrapper above; without it the worker gets the KV
 * namespace itself, as in production, so the peak run pays no wrapper hop per KV call.
 */
export async function startEdge(
  outdir: string,
  persist: string,
  originUrl: string,
  opts: { kvFaults: boolean },
): Promise<Edge> {
  const worker = {
    name: "frontrow",
    ...bundledWorker(outdir),
    bindings: { ORIGIN_URL: originUrl, ALLOW_CONTEXT_OVERRIDE: "true" },
  };
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    cf: false,
    kvPersist: join(persist, "kv"),
    workers: opts.kvFaults
      ? [
          { ...worker, wrappedBindings: { KV: { scriptName: "sim-kv" } } },
          {
            name: "sim-kv",
            modules: true,
            script: KV_WRAPPER,
            kvNamespaces: { INNER: KV_ID },
            serviceBindings: { CONTROL: "sim-control" },
          },
          { name: "sim-control", modules: true, script: CONTROL },
        ]
      : [{ ...worker, kvNamespaces: { KV: KV_ID } }],
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const kv = (opts.kvFaults
    ? await mf.getKVNamespace("INNER", "sim-kv")
    : await mf.getKVNamespace("KV", "frontrow")) as unknown as KvNamespace;
  const control = opts.kvFaults ? await mf.getWorker("sim-control") : null;
  return {
    mf,
    url,
    kv,
    async setKvFailing(failing) {
      if (!control) throw new Error("startEdge: KV faults need { kvFaults: true }");
      const res = await control.fetch(`http://control/kv?state=${failing ? "fail" : "ok"}`, { method: "POST" });
      await res.text();
    },
    dispose: () => mf.dispose(),
  };
}

export interface SeedResult {
  keys: number;
  modelVersion: string;
  configVersion: string;
  config: ConfigKvType;
}

/**
 * Publishes what the origin publishes (lists and profiles of `publishedUsers`, regional lists, the catalog,
 * the bundled model and its pointer) and the edge-config files, as `origin:publish` and `config publish` do.
 */
export async function seedEdge(
  kv: KvNamespace,
  dataset: Dataset,
  generator: CandidateGenerator,
  publishedUsers: readonly number[],
): Promise<SeedResult> {
  const store = kvStore(kv, "the simulation's Miniflare KV");
  const rows = new OriginRows({ ...dataset, users: [...publishedUsers] }, generator);
  const model = await readModelDir("worker/model");
  const data = dataEntries(rows, 500);
  await store.putAll(data);
  const modelKeys = await activateModel(store, model);
  const config = new ConfigKv(store);
  const published = await publishConfig(config, loadConfigDir().cfg);
  return {
    keys: data.length + modelKeys,
    modelVersion: model.manifest.version,
    configVersion: published.version,
    config,
  };
}
