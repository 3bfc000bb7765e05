// `npm run bench:kernel`: the dense kernel against onnxruntime-web's wasm build, same model and rows, side by side.
// Node's V8 runs both (workerd embeds the same engine); interleaved batches, medians per call, scores compared.
// "kernel" is the plain first layer (every input multiplied), "planned" the one that takes indicators as mask bits
// and per-request columns once (what the worker runs for matrices extractFeatures built).
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-web/wasm";
import { extractFeatures } from "../core/features.js";
import { kernelFor } from "../core/kernel/eligibility.js";
import { sampleColumns, sampleContext, sampleProfile } from "../core/ranker.contract.js";
import { kernelModule } from "../model-export/src/kernel.js";
import { median, table } from "./stats.js";

const quick = process.argv.includes("--quick");
const BATCHES = quick ? 20 : 60;
const CALLS = 50;
const bytes = new Uint8Array(readFileSync("worker/model/model.onnx"));
const made = kernelFor(kernelModule(), bytes, JSON.parse(readFileSync("worker/model/manifest.json", "utf8")));
if ("reason" in made) throw new Error(`the bundled model cannot run on the kernel: ${made.reason}`);
const kernel = made.kernel;
ort.env.wasm.numThreads = 1;
ort.env.logLevel = "error";
const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "all" });

const rows: (string | number)[][] = [];
const results: Record<string, unknown>[] = [];
for (const n of [100, 500, 1000]) {
  // Real feature rows (core/features.ts on plausible candidates): their zeros are what the kernel skips.
  const m = extractFeatures(sampleColumns(n), sampleProfile, sampleContext);
  const feeds = { features: new ort.Tensor("float32", m.data, [n, m.cols]) };
  const ortOnce = async () => (await session.run(feeds)).score?.data as Float32Array;
  const reference = await ortOnce();
  const mine = kernel.score(m.data, n);
  const planned = kernel.score(m.data, n, m.built);
  const identical = mine.every((v, i) => v === reference[i]) && planned.every((v, i) => v === reference[i]);
  const perCall = { kernel: [] as number[], planned: [] as number[], ort: [] as number[] };
  for (let b = 0; b < BATCHES; b++) {
    let t = performance.now();
    for (let i = 0; i < CALLS; i++) kernel.score(m.data, n);
    perCall.kernel.push(((performance.now() - t) / CALLS) * 1000);
    t = performance.now();
    for (let i = 0; i < CALLS; i++) kernel.score(m.data, n, m.built);
    perCall.planned.push(((performance.now() - t) / CALLS) * 1000);
    t = performance.now();
    for (let i = 0; i < CALLS; i++) await ortOnce();
    perCall.ort.push(((performance.now() - t) / CALLS) * 1000);
  }
  const k = median(perCall.kernel);
  const p = median(perCall.planned);
  const o = median(perCall.ort);
  rows.push([
    n,
    k.toFixed(1),
    p.toFixed(1),
    o.toFixed(1),
    `${(o / p).toFixed(2)}x`,
    identical ? "bit-identical" : "DIFFER",
  ]);
  results.push({ candidates: n, kernelUs: k, plannedUs: p, ortWebUs: o, ortOverPlanned: o / p, identical });
  if (!identical) process.exitCode = 1;
}
process.stdout.write(
  `Dense kernel vs onnxruntime-web ${ort.env.versions.web} (wasm SIMD, 1 thread), bundled model, µs per call, ` +
    `median of ${BATCHES} batches of ${CALLS}:\n`,
);
process.stdout.write(
  `${table(["candidates", "kernel µs", "planned µs", "ORT-web µs", "ORT / planned", "scores"], rows)}\n${JSON.stringify(results)}\n`,
);
