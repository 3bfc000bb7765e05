// ONNX export tests: onnxruntime-node scores equal the TypeScript forward pass; graph shape; manifest validity.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from "../../core/features.js";
import { gemmChain } from "../../core/kernel/test-graphs.js";
import { ModelManifestSchema, manifestIncompatibility } from "../../core/manifest.js";
import { EaseGenerator } from "../../origin/src/cf/ease.js";
import { generateSynthetic } from "../../origin/src/synthetic.js";
import { type ExampleList, listFeatures, temporalSplit, testStage } from "./examples.js";
import { trainModel } from "./index.js";
import { Mlp } from "./mlp.js";
import { buildManifest, defaultVersion, mlpFromOnnx, mlpToOnnx, ONNX_IR_VERSION, ONNX_OPSET } from "./onnx.js";

const { onnx } = onnxProto;
const createdAt = new Date("2026-11-02T10:00:00.000Z");
const training = {
  dataset: "synthetic-test",
  fingerprint: "f".repeat(64),
  seed: 1,
  epochs: 1,
  metrics: { ndcg10Model: 0.1 },
};

let model: Mlp;
let bytes: Uint8Array;
let lists: ExampleList[];

beforeAll(async () => {
  const dataset = generateSynthetic({ users: 120, items: 300, seed: 5 });
  const result = await trainModel(dataset, { seed: 2, epochs: 3, evaluate: false, createdAt });
  model = result.model;
  bytes = result.onnx;
  // Real feature matrices: the test cut's lists in their held-out views' contexts.
  lists = testStage(dataset, temporalSplit(dataset), { depth: 500, makeGenerator: () => new EaseGenerator() }).lists;
});

describe("ONNX parity with onnxruntime-node", () => {
  it("scores real feature matrices like the TypeScript forward pass (standardisation folded in)", async () => {
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(["features"]);
    expect(session.outputNames).toEqual(["score"]);
    expect(model.inputMean).not.toBeNull();
    let rows = 0;
    let maxDiff = 0;
    for (const list of lists.slice(0, 25)) {
      for (const ev of list.events.slice(0, 2)) {
        const m = listFeatures(list, ev.context);
        if (m.rows === 0) continue;
        const out = await session.run({
          features: new ort.Tensor("float32", m.data.slice(0, m.rows * m.cols), [m.rows, m.cols]),
        });
        const score = out.score as ort.Tensor;
        expect(score.dims).toEqual([m.rows, 1]);
        const expected = model.score(m.data, m.rows);
        const got = score.data as Float32Array;
        for (let i = 0; i < m.rows; i++)
          maxDiff = Math.max(maxDiff, Math.abs((got[i] as number) - (expected[i] as number)));
        rows += m.rows;
      }
    }
    expect(rows).toBeGreaterThan(5000);
    expect(maxDiff).toBeLessThan(1e-5);
    // The scores are not all equal: a constant model would pass parity trivially.
    const m = listFeatures(
      lists[0] as ExampleList,
      (lists[0] as ExampleList).events[0]?.context as ExampleList["events"][number]["context"],
    );
    const s = model.score(m.data, m.rows);
    expect(Math.max(...s) - Math.min(...s)).toBeGreaterThan(0.1);
  });

  it("accepts any batch size, including one row", async () => {
    const session = await ort.InferenceSession.create(bytes);
    const x = new Float32Array(FEATURE_COUNT).fill(0.5);
    const out = await session.run({ features: new ort.Tensor("float32", x, [1, FEATURE_COUNT]) });
    expect((out.score as ort.Tensor).data[0]).toBeCloseTo(model.score(x, 1)[0] as number, 5);
  });
});

describe("graph", () => {
  it("is opset 17 Gemm/Relu with a symbolic batch and raw float32 initializers", () => {
    const decoded = onnx.ModelProto.decode(bytes);
    expect(Number(decoded.irVersion)).toBe(ONNX_IR_VERSION);
    expect(decoded.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([["", ONNX_OPSET]]);
    const graph = decoded.graph as onnxProto.onnx.GraphProto;
    expect(graph.node.map((n) => n.opType)).toEqual(["Gemm", "Relu", "Gemm", "Relu", "Gemm"]);
    const input = graph.input[0]?.type?.tensorType;
    expect(input?.elemType).toBe(onnx.TensorProto.DataType.FLOAT);
    expect(input?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue))).toEqual(["batch", FEATURE_COUNT]);
    expect(graph.output[0]?.name).toBe("score");
    for (const t of graph.initializer) {
      expect(t.dataType).toBe(onnx.TensorProto.DataType.FLOAT);
      expect(t.floatData).toHaveLength(0);
      expect(t.rawData?.length).toBe(4 * (t.dims ?? []).reduce((a: number, d) => a * Number(d), 1));
    }
    const meta = Object.fromEntries(decoded.metadataProps.map((p) => [p.key, p.value]));
    expect(meta["frontrow.feature_schema"]).toBe(FEATURE_SCHEMA_VERSION);
    expect(meta["frontrow.features"]).toBe(FEATURE_NAMES.join(","));
  });

  it("reads back as the folded network, and the same model always gives the same bytes", () => {
    const back = mlpFromOnnx(bytes);
    const folded = model.folded();
    back.layers.forEach((layer, l) => {
      expect(Array.from(layer.w)).toEqual(Array.from(folded.layers[l]?.w ?? []));
      expect(Array.from(layer.b)).toEqual(Array.from(folded.layers[l]?.b ?? []));
    });
    expect(mlpToOnnx(model)).toEqual(bytes);
  });

  it("refuses to read back what is not a ranker: another op, a ReLU on the output, none between layers", () => {
    const layernorm = new Uint8Array(
      readFileSync(new URL("../../worker/test/fixtures/onnx/mlp_layernorm.onnx", import.meta.url)),
    );
    expect(() => mlpFromOnnx(layernorm)).toThrow(/^node ".*": op LayerNormalization$/);
    const reluOut = gemmChain([
      { inSize: 4, outSize: 3, transB: 1, relu: true },
      { inSize: 3, outSize: 1, transB: 1, relu: true },
    ]);
    expect(() => mlpFromOnnx(reluOut)).toThrow("layer 1: a ReLU after the output layer");
    const linear = gemmChain([
      { inSize: 4, outSize: 3, transB: 1, relu: false },
      { inSize: 3, outSize: 1, transB: 1, relu: false },
    ]);
    expect(() => mlpFromOnnx(linear)).toThrow("layer 0: no ReLU after a hidden layer");
  });
});

describe("buildManifest", () => {
  it("validates, hashes the exact bytes and lists the schema's features", async () => {
    const manifest = await buildManifest(bytes, { createdAt, training });
    expect(ModelManifestSchema.parse(manifest)).toEqual(manifest);
    expect(manifest.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(manifest.sizeBytes).toBe(bytes.byteLength);
    expect(manifest.opset).toBe(17);
    expect(manifest.createdAt).toBe("2026-11-02T10:00:00.000Z");
    expect(manifest.inputs).toEqual([{ name: "features", features: [...FEATURE_NAMES], broadcast: false }]);
    expect(manifest.output).toBe("score");
    expect(manifest.featureSchema).toEqual({ version: FEATURE_SCHEMA_VERSION, dtype: "float32" });
    expect(manifest.version).toBe(`synth-20261102-${manifest.sha256.slice(0, 8)}`);
    expect(manifest.training).toEqual(training);
    expect(manifestIncompatibility(manifest)).toBeNull();
  });

  it("takes an explicit version and refuses an invalid one", async () => {
    expect((await buildManifest(bytes, { version: "v2.1-rc", training })).version).toBe("v2.1-rc");
    await expect(buildManifest(bytes, { version: "bad version!", training })).rejects.toThrow("manifest: version:");
  });

  it("refuses a model whose input is not the feature schema's width", async () => {
    const narrow = mlpToOnnx(Mlp.init({ inputSize: 5, hidden: [4] }, 1));
    await expect(buildManifest(narrow, { training })).rejects.toThrow(`must be [batch, ${FEATURE_COUNT}]`);
  });

  it("names default versions after the data set", () => {
    expect(defaultVersion("movielens:ml-latest-small", createdAt, "ab".repeat(32))).toBe(
      "movielensmllatestsmall-20261102-abababab",
    );
    expect(defaultVersion("synthetic(seed=1,users=1000,items=1500)", createdAt, "0".repeat(64))).toBe(
      "synth-20261102-00000000",
    );
  });
});
