// Artifact validation in both ORT builds: real PyTorch exports pass; every kind of broken artifact gets one clear message.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from "../../core/features.js";
import { type ModelManifest, sha256Hex } from "../../core/manifest.js";
import { DEFAULT_BUDGET, formatValidation, validateArtifact } from "./validate.js";

const onnxFixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../worker/test/fixtures/onnx/${name}`, import.meta.url)));
const mlp = onnxFixture("mlp_layernorm.onnx");
const crossnet = onnxFixture("crossnet_context.onnx");
let mlpManifest: ModelManifest;
let crossnetManifest: ModelManifest;
// What validation decides must not depend on a shared machine's speed: the time budget here is 1 s per 1,000
// candidates (the budget check itself is tested below with a budget no run can meet).
const files = {
  onnxFile: "m.onnx",
  manifestFile: "m.json",
  timingRuns: 3,
  budget: { ...DEFAULT_BUDGET, maxMsAt1000: 1000 },
};

beforeAll(() => {
  const read = (n: string) => JSON.parse(readFileSync(new URL(`../fixtures/byom/${n}`, import.meta.url), "utf8"));
  mlpManifest = read("mlp_layernorm.manifest.json");
  crossnetManifest = read("crossnet_context.manifest.json");
});

async function manifestFor(bytes: Uint8Array, features: readonly string[], output = "score"): Promise<ModelManifest> {
  return {
    format: "frontrow-model/1",
    version: "t-1",
    sha256: await sha256Hex(bytes),
    opset: 13,
    sizeBytes: bytes.length,
    createdAt: "2026-01-01T00:00:00.000Z",
    featureSchema: { version: FEATURE_SCHEMA_VERSION, dtype: "float32" },
    inputs: [{ name: "features", features: [...features], broadcast: false }],
    output,
  };
}

describe("validateArtifact", () => {
  it("passes the PyTorch exports, with node/web parity far inside 1e-5 and timing at 1,000 candidates", async () => {
    for (const [bytes, manifest] of [
      [mlp, mlpManifest],
      [crossnet, crossnetManifest],
    ] as const) {
      const r = await validateArtifact(bytes, manifest, files);
      expect(r.problems).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.cases.map((c) => c.name)).toContain("missing features (no profile, genres, tags, year, scores)");
      expect(r.maxAbsDiff).toBeLessThan(1e-6);
      expect(r.msAt1000?.web).toBeGreaterThan(0);
    }
    const r = await validateArtifact(crossnet, crossnetManifest, files);
    expect(r.ops).toContain(":Expand");
    expect(r.opset).toBe(13);
  });

  it("says which engine the worker will score with, and why not the dense kernel", async () => {
    expect((await validateArtifact(mlp, mlpManifest, files)).edgeEngine).toEqual({
      engine: "onnxruntime-web",
      note: 'not a dense chain: node "/ln/LayerNormalization": op LayerNormalization',
    });
    expect((await validateArtifact(crossnet, crossnetManifest, files)).edgeEngine).toEqual({
      engine: "onnxruntime-web",
      note: "the manifest feeds 2 inputs; the kernel reads one",
    });
    const bundled = new Uint8Array(readFileSync(new URL("../../worker/model/model.onnx", import.meta.url)));
    const bundledManifest = JSON.parse(
      readFileSync(new URL("../../worker/model/manifest.json", import.meta.url), "utf8"),
    );
    const r = await validateArtifact(bundled, bundledManifest, files);
    expect(r.edgeEngine).toEqual({ engine: "wasm-dense", note: null, firstLayer: "planned" });
    expect(formatValidation(r).split("\n").at(-1)).toBe(
      "  edge engine: wasm-dense kernel (scores equal onnxruntime-web's bit for bit; first layer planned: genre indicators as mask bits, per-request columns once per call)",
    );
  });

  it("reports no engine when validation stopped before the runtimes ran", async () => {
    const r = await validateArtifact(mlp, { ...mlpManifest, sha256: "0".repeat(64) }, files);
    expect(r.edgeEngine).toBeNull();
  });

  it("names a checksum and size that do not match the bytes", async () => {
    const r = await validateArtifact(mlp, { ...mlpManifest, sha256: "0".repeat(64), sizeBytes: 5 }, files);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      'm.onnx: 6034 bytes, but m.json field "sizeBytes" says 5',
      `m.onnx: sha256 ${mlpManifest.sha256} does not match m.json field "sha256" (${"0".repeat(64)})`,
    ]);
  });

  it("names manifest fields that break the schema", async () => {
    const r = await validateArtifact(mlp, { ...mlpManifest, sha256: "xyz", inputs: [] }, files);
    expect(r.problems).toEqual([
      'm.json field "sha256": sha256 must be 64 lowercase hex digits',
      'm.json field "inputs": Too small: expected array to have >=1 items',
    ]);
  });

  it("refuses bytes that are not ONNX", async () => {
    const junk = new TextEncoder().encode("userId,movieId\n1,2\n");
    const r = await validateArtifact(junk, await manifestFor(junk, ["cf_score"]), files);
    expect(r.problems).toEqual([expect.stringMatching(/^m\.onnx: not an ONNX model \(/)]);
  });

  it("refuses a manifest whose inputs do not match the graph", async () => {
    const wrongCols = { ...mlpManifest, inputs: [{ name: "features", features: ["cf_score"], broadcast: false }] };
    expect((await validateArtifact(mlp, wrongCols, files)).problems).toEqual([
      'm.json field "inputs.0": 1 features for "features", but the graph wants 16 columns',
    ]);
    const wrongName = { ...crossnetManifest, inputs: [crossnetManifest.inputs[0]], output: "scores" } as ModelManifest;
    expect((await validateArtifact(crossnet, wrongName, files)).problems).toEqual([
      'm.json field "inputs": graph input "context" of m.onnx is not fed',
      'm.json field "output": "scores" is not a graph output (graph outputs: score)',
    ]);
    const notBroadcast = {
      ...crossnetManifest,
      inputs: crossnetManifest.inputs.map((i) => ({ ...i, broadcast: false })),
    };
    expect((await validateArtifact(crossnet, notBroadcast, files)).problems).toEqual([
      'm.onnx: graph input "context" has a fixed batch of 1; it must be dynamic (one row per candidate)',
    ]);
  });

  it("refuses a feature the edge does not compute", async () => {
    const m = {
      ...mlpManifest,
      inputs: [
        {
          name: "features",
          features: [...(mlpManifest.inputs[0]?.features.slice(1) ?? []), "watch_time"],
          broadcast: false,
        },
      ],
    };
    expect((await validateArtifact(mlp, m, files)).problems).toEqual([
      'm.json field "inputs": input "features" wants feature "watch_time", which the edge does not compute',
    ]);
  });

  it("refuses a model that scores NaN on edge-case inputs", async () => {
    const nan = onnxFixture("nan_score.onnx");
    const r = await validateArtifact(nan, await manifestFor(nan, FEATURE_NAMES.slice(0, 4)), files);
    expect(r.problems[0]).toBe("m.onnx: score 0 of 50 is NaN on golden tv (onnxruntime-node)");
  });

  it("refuses a model with more than one score per candidate", async () => {
    const two = onnxFixture("two_scores.onnx");
    const r = await validateArtifact(two, await manifestFor(two, FEATURE_NAMES.slice(0, 4)), files);
    expect(r.problems[0]).toBe(
      'm.json field "output": "score" has shape [50, 2] for 50 candidates; expected [50] or [50, 1]',
    );
  });

  it("holds size and time to the budget", async () => {
    const r = await validateArtifact(mlp, mlpManifest, { ...files, budget: { maxBytes: 1000, maxMsAt1000: 1e-6 } });
    expect(r.problems).toEqual(["m.onnx: 6034 bytes is over the 1000-byte budget"]);
    const slow = await validateArtifact(mlp, mlpManifest, { ...files, budget: { maxBytes: 1e6, maxMsAt1000: 1e-6 } });
    expect(slow.problems).toEqual([
      expect.stringMatching(
        /^m\.onnx: [\d.]+ ms per 1,000 candidates in onnxruntime-web is over the 0\.000001 ms budget$/,
      ),
    ]);
  });
});
