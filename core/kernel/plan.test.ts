// The planned first layer (indicators as mask bits, per-request columns once) against onnxruntime-web: equal to the bit.
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-web/wasm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type CandidateColumns,
  extractFeatures,
  FEATURE_NAMES,
  type FeatureProfile,
  featureIndices,
  type RankingContext,
  selectColumns,
} from "../features.js";
import type { ModelManifest } from "../manifest.js";
import { sampleColumns, sampleContext, sampleProfile } from "../ranker.contract.js";
import { DEVICES } from "../vocab.js";
import { DenseKernel } from "./dense-kernel.js";
import { type DenseNet, denseNetFromGraph } from "./dense-net.js";
import { kernelFor, probeLists } from "./eligibility.js";
import { readOnnxGraph } from "./onnx-reader.js";
import { gemmChain } from "./test-graphs.js";

const kernelModule = new WebAssembly.Module(readFileSync(new URL("./dense.wasm", import.meta.url)));

function netOf(bytes: Uint8Array): DenseNet {
  const r = denseNetFromGraph(readOnnxGraph(bytes));
  if (!("net" in r)) throw new Error(r.unsupported);
  return r.net;
}

const manifestFor = (features: string[]): Pick<ModelManifest, "inputs" | "output"> => ({
  inputs: [{ name: "features", features, broadcast: false }],
  output: "score",
});

/** Every moment and user the cases below rank for: each device, weekday and weekend, cold and known. */
const moments: { profile: FeatureProfile | null; ctx: RankingContext }[] = DEVICES.flatMap((device, d) => [
  { profile: null, ctx: { ...sampleContext, device, weekday: d, localHour: 3.5 * d } },
  { profile: sampleProfile, ctx: { ...sampleContext, device, weekday: 6, localHour: 22.75 } },
]);

/** Compares the planned kernel with ORT on these lists at these moments; returns how many rows it compared. */
async function compare(
  kernel: DenseKernel,
  session: ort.InferenceSession,
  features: string[],
  lists: CandidateColumns[],
): Promise<number> {
  const columns = featureIndices(features);
  let rows = 0;
  for (const list of lists) {
    for (const { profile, ctx } of moments) {
      const m = extractFeatures(list, profile, ctx);
      const x = selectColumns(m, columns);
      const out = await session.run({ features: new ort.Tensor("float32", x, [m.rows, columns.length]) });
      expect(kernel.score(x, m.rows, m.built)).toEqual(out.score?.data as Float32Array);
      if (kernel.scoresLists) expect(kernel.scoreList(list, profile, ctx)).toEqual(out.score?.data as Float32Array);
      rows += m.rows;
    }
  }
  return rows;
}

beforeAll(() => {
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = "error";
});

describe("planned first layer: onnxruntime-web's scores to the bit", () => {
  it("on frontrow's export, at every batch size, for every device, weekday, weekend, cold and known user", async () => {
    const bytes = new Uint8Array(readFileSync("worker/model/model.onnx"));
    const manifest = JSON.parse(readFileSync("worker/model/manifest.json", "utf8")) as ModelManifest;
    const made = kernelFor(kernelModule, bytes, manifest);
    if (!("kernel" in made)) throw new Error(made.reason);
    expect([made.kernel.planned, made.kernel.scoresLists, made.kernel.planNote]).toEqual([true, true, null]);
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "all" });
    const sizes = [1, 2, 3, 17, 500, 1001];
    const lists = [...sizes.map(sampleColumns), ...new Set(probeLists().map((p) => p.list))];
    const rows = await compare(made.kernel, session, manifest.inputs[0]?.features ?? [], lists);
    expect(rows).toBe(moments.length * (1 + 2 + 3 + 17 + 500 + 1001 + 64));
    await session.release();
  });

  it("on inputs in another order: genres out of turn, per-request columns between the others, a schema subset", async () => {
    const features = [
      "device_phone",
      "genre_drama",
      "genre_comedy",
      "cf_score",
      "hour_sin",
      "genre_action",
      "genre_adventure",
      "genre_animation",
      "user_activity",
      "popularity",
      "is_weekend",
      "genre_western",
    ];
    const bytes = gemmChain([
      { inSize: features.length, outSize: 16, transB: 1, relu: true },
      { inSize: 16, outSize: 1, transB: 0, relu: false },
    ]);
    const made = kernelFor(kernelModule, bytes, manifestFor(features));
    if (!("kernel" in made)) throw new Error(made.reason);
    expect(made.kernel.planned).toBe(true);
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "all" });
    const rows = await compare(made.kernel, session, features, [sampleColumns(333), sampleColumns(2)]);
    expect(rows).toBe(moments.length * 335);
    await session.release();
  });

  it("answers rows without `built` on the plain first layer, with the same scores", () => {
    const bytes = new Uint8Array(readFileSync("worker/model/model.onnx"));
    const kernel = new DenseKernel(kernelModule, netOf(bytes), undefined, featureIndices(FEATURE_NAMES));
    const m = extractFeatures(sampleColumns(250), sampleProfile, sampleContext);
    expect(kernel.score(m.data, 250)).toEqual(kernel.score(m.data, 250, m.built));
  });
});

describe("planned first layer: when the plain one runs instead, and why", () => {
  const widths = (outSize: number) =>
    netOf(
      gemmChain([
        { inSize: FEATURE_NAMES.length, outSize, transB: 1, relu: true },
        { inSize: outSize, outSize: 1, transB: 1, relu: false },
      ]),
    );
  const all = featureIndices(FEATURE_NAMES);

  it("a first layer whose padded width is not a multiple of 16", () => {
    const kernel = new DenseKernel(kernelModule, widths(20), undefined, all);
    expect([kernel.planned, kernel.planNote]).toEqual([
      false,
      "the first layer has 20 outputs; plan1 takes them sixteen at a time",
    ]);
  });

  it("an indicator input with a weight that is not finite (0 * Inf is NaN, which skipping the zero would lose)", () => {
    const net = widths(16);
    const first = net.layers[0] as DenseNet["layers"][number];
    const drama = FEATURE_NAMES.indexOf("genre_drama");
    first.w[5 * first.inSize + drama] = Number.POSITIVE_INFINITY;
    const kernel = new DenseKernel(kernelModule, net, undefined, all);
    expect([kernel.planned, kernel.planNote]).toEqual([
      false,
      `a weight of indicator input ${drama} (genre_drama) is not finite`,
    ]);
    // Rows without drama multiply its zero by Inf on the plain layer, as ORT does: NaN, refused downstream.
    const m = extractFeatures(sampleColumns(19), null, sampleContext);
    const scores = kernel.score(m.data, 19, m.built);
    const dramaBit = 1 << 7;
    const withoutDrama = Array.from(m.built?.genres ?? [], (g) => (g & dramaBit) === 0);
    expect(withoutDrama.filter(Boolean).length).toBe(17);
    expect(Array.from(scores, (s, i) => !withoutDrama[i] || Number.isNaN(s))).toEqual(Array(19).fill(true));
    expect(scores).toEqual(new DenseKernel(kernelModule, net).score(m.data, 19));
  });

  it("inputs with no indicator or per-request column, and inputs that are not schema columns", () => {
    const dense = ["cf_score", "cf_rank", "cf_z", "popularity"];
    const bytes = gemmChain([
      { inSize: 4, outSize: 16, transB: 1, relu: true },
      { inSize: 16, outSize: 1, transB: 1, relu: false },
    ]);
    const made = kernelFor(kernelModule, bytes, manifestFor(dense));
    const foreign = kernelFor(kernelModule, bytes, manifestFor(["a", "b", "c", "d"]));
    if (!("kernel" in made) || !("kernel" in foreign)) throw new Error("no kernel");
    expect([made.kernel.planned, made.kernel.planNote]).toEqual([false, "no indicator or per-request inputs"]);
    expect([foreign.kernel.planned, foreign.kernel.planNote]).toEqual([false, "no feature columns given"]);
  });

  it("after dropPlan, with the reason it was given; lists are then the caller's to extract", () => {
    const kernel = new DenseKernel(kernelModule, widths(32), undefined, all);
    expect([kernel.planned, kernel.scoresLists]).toEqual([true, true]);
    kernel.dropPlan("test");
    expect([kernel.planned, kernel.scoresLists, kernel.planNote]).toEqual([false, false, "test"]);
    expect(kernel.scoreList(sampleColumns(3), null, sampleContext)).toBeNull();
  });
});
