// The ONNX engine inside workerd: ORT loading, golden outputs of real PyTorch exports, and every refusal reason.
// Kept together because each test file that imports ORT's wasm spends seconds loading it. This file checks ORT is idle
// at import, so it imports the model modules directly: the model barrel (src/model/index.ts) starts ORT at global
// scope by design, and helpers.ts reaches it through services.ts. engine.test.ts needs both, so it is apart.
import * as ort from "onnxruntime-web/wasm";
import { describe, expect, it } from "vitest";
import { FEATURE_COUNT, FEATURE_NAMES, type FeatureMatrix } from "../../core/features.js";
import { loadModel, ModelLoadError, OnnxRanker, preloadModel, ScoringError } from "../src/model/onnx-ranker.js";
import { createOrtSession, ORT_WEB_VERSION, ortStatus, warmOrt } from "../src/model/ort.js";
import crossnetGolden from "./fixtures/onnx/crossnet_context.golden.json";
import crossnetBytes from "./fixtures/onnx/crossnet_context.onnx";
import mlpGolden from "./fixtures/onnx/mlp_layernorm.golden.json";
import mlpBytes from "./fixtures/onnx/mlp_layernorm.onnx";
import nanBytes from "./fixtures/onnx/nan_score.onnx";
import twoScoresBytes from "./fixtures/onnx/two_scores.onnx";
import {
  CONTEXT_FEATURES,
  crossnetManifest,
  ITEM_FEATURES,
  MLP_FEATURES,
  manifestFor,
  mlpManifest,
} from "./onnx-fixtures.js";

// Captured before anything in this file starts ORT.
const originalInstantiate = WebAssembly.instantiate;
const stateAtImport = ortStatus().state;

/**
 * A full-width feature matrix whose `names` columns hold `rows` (row-major) and every other cell holds a value
 * no model input should ever see, so a wrong column choice breaks the golden comparison.
 */
function matrixWith(n: number, columns: { names: readonly string[]; data: readonly number[]; rows: number }[]) {
  const data = new Float32Array(n * FEATURE_COUNT).fill(1e3);
  for (const c of columns) {
    c.names.forEach((name, j) => {
      const col = FEATURE_NAMES.indexOf(name);
      for (let i = 0; i < c.rows; i++) data[i * FEATURE_COUNT + col] = c.data[i * c.names.length + j] as number;
    });
  }
  return { data, rows: n, cols: FEATURE_COUNT } satisfies FeatureMatrix;
}

function mlpMatrix(): FeatureMatrix {
  const input = mlpGolden.inputs.features;
  return matrixWith(input.dims[0] as number, [
    { names: MLP_FEATURES, data: input.data, rows: input.dims[0] as number },
  ]);
}

/** The context goes into row 0 only: the ranker must broadcast row 0, never read rows 1..n-1 for it. */
function crossnetMatrix(): FeatureMatrix {
  const items = crossnetGolden.inputs.item_features;
  const n = items.dims[0] as number;
  return matrixWith(n, [
    { names: ITEM_FEATURES, data: items.data, rows: n },
    { names: CONTEXT_FEATURES, data: crossnetGolden.inputs.context.data, rows: 1 },
  ]);
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tolerance = 1e-5) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

async function loadError(promise: Promise<unknown>): Promise<ModelLoadError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelLoadError);
  return err as ModelLoadError;
}

describe("loading onnxruntime-web inside workerd", () => {
  // If an ORT upgrade changes how its glue instantiates the wasm, these fail first and say where to look.
  it("starts through the precompiled module, leaves WebAssembly.instantiate as it was, and passes other callers through", async () => {
    expect(stateAtImport, "another import started ORT before this test").toBe("idle");
    expect(ort.env.versions.web, "onnxruntime-web changed: re-check worker/src/model/ort.ts").toBe(ORT_WEB_VERSION);
    const starting = warmOrt();
    expect(WebAssembly.instantiate).not.toBe(originalInstantiate);
    // A caller other than ORT reaches the real instantiate, which workerd refuses for raw bytes.
    const emptyModule = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    await expect(WebAssembly.instantiate(emptyModule)).rejects.toThrow(/disallowed/i);
    await starting;
    expect(WebAssembly.instantiate).toBe(originalInstantiate);
    const status = ortStatus();
    expect(status).toMatchObject({ state: "ready", precompiledModuleUsed: true, error: null });
    expect(status.startMs).toBeGreaterThanOrEqual(0);
    expect(warmOrt()).toBe(starting);
  });

  it("runs a PyTorch export (opset 17: Gemm, LayerNormalization, Erf) and matches its golden output", async () => {
    const session = await createOrtSession(new Uint8Array(mlpBytes));
    expect(session.inputNames).toEqual(["features"]);
    expect(session.outputNames).toEqual(["score"]);
    const input = mlpGolden.inputs.features;
    const out = await session.run({ features: { data: new Float32Array(input.data), dims: input.dims } });
    expect(out.score?.dims).toEqual(mlpGolden.output.dims);
    expectClose(out.score?.data ?? [], mlpGolden.output.data);
    await session.release();
  });

  it("rejects bytes that are not ONNX with ORT's own reason", async () => {
    await expect(createOrtSession(new TextEncoder().encode("definitely not a protobuf"))).rejects.toThrow();
  });
});

describe("OnnxRanker", () => {
  it("scores the MLP export through manifest column selection and matches the golden output", async () => {
    const ranker = await loadModel(mlpBytes, await mlpManifest());
    expect(ranker).toBeInstanceOf(OnnxRanker);
    expect(ranker.kind).toBe("onnx");
    expect(ranker.version).toBe("test-1");
    expectClose(await ranker.score(mlpMatrix()), mlpGolden.output.data);
  });

  it("scores the cross network with a broadcast context row [1, 4] and matches the golden output", async () => {
    const ranker = await loadModel(crossnetBytes, await crossnetManifest());
    const scores = await ranker.score(crossnetMatrix());
    expect(scores).toHaveLength(crossnetGolden.output.dims[0] as number);
    expectClose(scores, crossnetGolden.output.data);
  });

  it("gives bit-identical scores on every call, concurrent or not, and equal to a raw session run", async () => {
    const ranker = await loadModel(mlpBytes, await mlpManifest());
    const m = mlpMatrix();
    const first = await ranker.score(m);
    const shifted = { ...m, data: m.data.map((v) => v * 0.5) };
    const [a, b, c] = await Promise.all([ranker.score(m), ranker.score(shifted), ranker.score(m)]);
    expect(a).toEqual(first);
    expect(c).toEqual(first);
    expect(b).toEqual(await ranker.score(shifted));
    expect(b).not.toEqual(first);
    const session = await createOrtSession(new Uint8Array(mlpBytes));
    const input = mlpGolden.inputs.features;
    const raw = await session.run({ features: { data: new Float32Array(input.data), dims: input.dims } });
    expect(first).toEqual(raw.score?.data);
    await session.release();
  });

  it("answers an empty candidate list with no scores", async () => {
    const ranker = await loadModel(mlpBytes, await mlpManifest());
    expect(await ranker.score({ data: new Float32Array(0), rows: 0, cols: FEATURE_COUNT })).toEqual(
      new Float32Array(0),
    );
  });

  it("refuses a feature matrix that is not the schema's width", async () => {
    const ranker = await loadModel(mlpBytes, await mlpManifest());
    const err = await ranker.score({ data: new Float32Array(20), rows: 2, cols: 10 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScoringError);
    expect(err).toMatchObject({ reason: "bad-features" });
  });

  it("fails a model that scores NaN with non-finite-score, naming the row", async () => {
    const ranker = await loadModel(
      nanBytes,
      await manifestFor(nanBytes, [{ name: "features", features: ITEM_FEATURES.slice(0, 4), broadcast: false }], {
        opset: 13,
      }),
    );
    const m = matrixWith(3, []);
    const err = await ranker.score(m).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScoringError);
    expect(err).toMatchObject({ reason: "non-finite-score" });
    expect((err as Error).message).toContain("score 0 of 3 is NaN");
  });
});

describe("loadModel refusals", () => {
  it("checksum mismatch", async () => {
    const manifest = await mlpManifest();
    const err = await loadError(loadModel(mlpBytes, { ...manifest, sha256: "0".repeat(64) }));
    expect(err.reason).toBe("checksum-mismatch");
    expect(err.message).toContain(manifest.sha256);
  });

  it("size mismatch", async () => {
    const manifest = await mlpManifest();
    const err = await loadError(loadModel(mlpBytes, { ...manifest, sizeBytes: manifest.sizeBytes + 1 }));
    expect(err.reason).toBe("size-mismatch");
  });

  it("garbage bytes with a matching checksum fail in ORT", async () => {
    const garbage = new Uint8Array(512).map((_, i) => (i * 37 + 11) & 0xff);
    const manifest = await manifestFor(garbage.buffer, [
      { name: "features", features: MLP_FEATURES, broadcast: false },
    ]);
    const err = await loadError(loadModel(garbage, manifest));
    expect(err.reason).toBe("ort-load-failure");
    expect(err.message).toMatch(/^model test-1: onnxruntime could not load it: ./);
  });

  it("incompatible feature schema", async () => {
    const manifest = await mlpManifest();
    const err = await loadError(
      loadModel(mlpBytes, { ...manifest, featureSchema: { version: "v0", dtype: "float32" } }),
    );
    expect(err.reason).toBe("incompatible-schema");
  });

  it("a manifest input the graph does not have", async () => {
    const manifest = await manifestFor(mlpBytes, [{ name: "feats", features: MLP_FEATURES, broadcast: false }]);
    const err = await loadError(loadModel(mlpBytes, manifest));
    expect(err.reason).toBe("input-not-in-graph");
    expect(err.message).toContain('manifest input "feats" is not a graph input (graph has "features")');
  });

  it("a graph input the manifest does not feed", async () => {
    const manifest = await manifestFor(crossnetBytes, [
      { name: "item_features", features: ITEM_FEATURES, broadcast: false },
    ]);
    const err = await loadError(loadModel(crossnetBytes, manifest));
    expect(err.reason).toBe("graph-input-not-fed");
    expect(err.message).toContain('"context"');
  });

  it("an output the graph does not have", async () => {
    const manifest = await mlpManifest();
    const err = await loadError(loadModel(mlpBytes, { ...manifest, output: "scores" }));
    expect(err.reason).toBe("output-not-in-graph");
  });

  it("an output with more than one score per candidate", async () => {
    const manifest = await manifestFor(twoScoresBytes, [
      { name: "features", features: ITEM_FEATURES.slice(0, 4), broadcast: false },
    ]);
    const err = await loadError(loadModel(twoScoresBytes, { ...manifest, opset: 13 }));
    expect(err.reason).toBe("bad-output-shape");
    expect(err.message).toContain("has shape [2, 2] for 2 candidates");
  });
});

describe("preloadModel", () => {
  it("hands the preloaded ranker to a later load of the same bytes and contract, and only then", async () => {
    const manifest = await crossnetManifest();
    const preloaded = await preloadModel(crossnetBytes, { ...manifest, version: "bundled" });
    expect(await loadModel(crossnetBytes, { ...manifest, version: "bundled" })).toBe(preloaded);
    const other = await loadModel(crossnetBytes, manifest);
    expect(other).not.toBe(preloaded);
    expect(await other.score(crossnetMatrix())).toEqual(await preloaded.score(crossnetMatrix()));
    // Same version but bytes that hash differently never reach the preloaded session.
    const err = await loadError(
      loadModel(mlpBytes, { ...manifest, version: "bundled", sizeBytes: mlpBytes.byteLength }),
    );
    expect(err.reason).toBe("checksum-mismatch");
  });
});
