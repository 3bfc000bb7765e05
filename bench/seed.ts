// The warm edge the benchmarks measure: the bundled model active and top-picks lists of known sizes in KV.
import { readFileSync } from "node:fs";
import { encodeCandidateList } from "../core/codec.js";
import { keys } from "../core/keys.js";
import { createGenerator } from "../origin/src/cf/index.js";
import { OriginRows } from "../origin/src/rows.js";
import { generateSynthetic } from "../origin/src/synthetic.js";

/** The part of a KV binding (Miniflare's or the worker's) the seeding writes through. */
export interface KvWriter {
  put(key: string, value: string | ArrayBuffer): Promise<unknown>;
}

/** A model as the benchmarks publish it: ONNX bytes and their manifest. */
export interface BenchModel {
  onnx: Uint8Array;
  manifest: { version: string };
}

/** A standalone ArrayBuffer copy: Miniflare's proxy cannot send a view into a larger buffer. */
export function own(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

/** The model deployed with the worker (worker/model): what `npm start` and a deploy activate. */
export function bundledModel(): BenchModel {
  return {
    onnx: new Uint8Array(readFileSync("worker/model/model.onnx")),
    manifest: JSON.parse(readFileSync("worker/model/manifest.json", "utf8")),
  };
}

/** Publishes `model` and points the global active pointer at it, as `npm run model -- activate` does. */
export async function activateModel(kv: KvWriter, model: BenchModel): Promise<void> {
  await kv.put(keys.modelBytes(model.manifest.version), own(model.onnx));
  await kv.put(keys.modelManifest(model.manifest.version), JSON.stringify(model.manifest));
  await kv.put(
    keys.activeModel,
    JSON.stringify({ version: model.manifest.version, activatedAt: new Date().toISOString() }),
  );
}

/**
 * Writes user 1's top-picks of the synthetic world (400 users, 1,500 titles, EASE) cut to each size as the list
 * and profile of user `b<size>` in eu-west, fresh as of now, so requests are cache hits and measure ranking.
 */
export async function seedBenchLists(kv: KvWriter, sizes: readonly number[]): Promise<void> {
  const dataset = generateSynthetic({ seed: 42, users: 400, items: 1500 });
  const generator = createGenerator("ease");
  generator.fit(dataset.interactions);
  const rows = new OriginRows(dataset, generator);
  const profile = rows.profileFor(1);
  for (const n of sizes) {
    const list = rows.topPicks(1, n);
    if (list.candidates.length !== n) throw new Error(`user 1 has ${list.candidates.length} candidates, wanted ${n}`);
    const bytes = encodeCandidateList(
      { ...list.header, scope: `user:b${n}`, generatedAt: Date.now() },
      list.candidates,
    );
    await kv.put(keys.candidates("top-picks", `b${n}`, "eu-west"), own(bytes));
    await kv.put(keys.profile(`b${n}`), JSON.stringify({ ...profile, userId: `b${n}` }));
  }
}
