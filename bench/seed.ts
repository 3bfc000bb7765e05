// KV seeding for the benchmarks and the simulation, through the origin publisher's own entries and store interface.
import { encodeCandidateList } from "../core/codec.js";
import { keys } from "../core/keys.js";
import { createGenerator } from "../origin/src/cf/index.js";
import type { Dataset } from "../origin/src/dataset.js";
import { activeModelEntry, type KvEntry, type ModelBundle, modelVersionEntries } from "../origin/src/kv-entries.js";
import type { KvStore } from "../origin/src/kv-store.js";
import { OriginRows } from "../origin/src/rows.js";
import { generateSynthetic } from "../origin/src/synthetic.js";

/** The context every benchmark request ranks in (the worker honours these with ALLOW_CONTEXT_OVERRIDE). */
export const BENCH_HEADERS = {
  "x-frontrow-region": "eu-west",
  "x-frontrow-now": "2026-11-01T20:30:00Z",
  "x-device-type": "tv",
} as const;

/** Seed of the benchmarks' per-round request orders: the same sequence of orders in every run. */
export const BENCH_ROUND_SEED = 20261206;

/** The slice of a KV namespace (Miniflare's, or the worker's binding) that seeding and the simulation use. */
export interface KvNamespace {
  get(key: string, type: "arrayBuffer"): Promise<ArrayBuffer | null>;
  get(key: string): Promise<string | null>;
  put(key: string, value: string | ArrayBuffer): Promise<void>;
}

/** A KvStore (the origin publisher's interface) over a Miniflare KV namespace. */
export function kvStore(kv: KvNamespace, description = "a Miniflare KV namespace"): KvStore {
  return {
    description,
    async get(key) {
      const v = await kv.get(key, "arrayBuffer");
      return v === null ? null : new Uint8Array(v);
    },
    async putAll(entries: readonly KvEntry[]) {
      // A few writes in flight at a time: Miniflare's KV proxy answers each over loopback.
      for (let i = 0; i < entries.length; i += 32) {
        await Promise.all(
          entries.slice(i, i + 32).map((e) => kv.put(e.key, typeof e.value === "string" ? e.value : own(e.value))),
        );
      }
    },
    async close() {},
  };
}

/** A standalone ArrayBuffer copy: Miniflare's proxy cannot send a view into a larger buffer. */
function own(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * Publishes a model version, then points the global active pointer at it, as `origin:publish` does. Returns how
 * many keys it wrote.
 */
export async function activateModel(store: KvStore, model: ModelBundle): Promise<number> {
  const version = modelVersionEntries(model);
  await store.putAll(version);
  await store.putAll([activeModelEntry(model.manifest.version, new Date())]);
  return version.length + 1;
}

/** The benchmarks' synthetic world: 400 users, 1,500 titles. */
export function benchDataset(): Dataset {
  return generateSynthetic({ seed: 42, users: 400, items: 1500 });
}

/**
 * Writes user 1's top-picks (EASE over `dataset`) cut to each size as the list and profile of user `b<size>` in
 * eu-west, fresh as of now, so requests are cache hits and measure ranking, not the origin.
 */
export async function seedBenchLists(
  store: KvStore,
  sizes: readonly number[],
  dataset: Dataset = benchDataset(),
): Promise<void> {
  const generator = createGenerator("ease");
  generator.fit(dataset.interactions);
  const rows = new OriginRows(dataset, generator);
  const profile = rows.profileFor(1);
  const entries: KvEntry[] = [];
  for (const n of sizes) {
    const list = rows.topPicks(1, n);
    if (list.candidates.length !== n) throw new Error(`user 1 has ${list.candidates.length} candidates, wanted ${n}`);
    const bytes = encodeCandidateList(
      { ...list.header, scope: `user:b${n}`, generatedAt: Date.now() },
      list.candidates,
    );
    entries.push(
      { key: keys.candidates("top-picks", `b${n}`, "eu-west"), value: bytes, kind: "cand:top-picks" },
      { key: keys.profile(`b${n}`), value: JSON.stringify({ ...profile, userId: `b${n}` }), kind: "profile" },
    );
  }
  await store.putAll(entries);
}
