// Bring-your-own-model import: the PyTorch fixtures give the checked-in manifests; bad schemas name file, line and
// field. Evaluating a given model: origin order and popularity as in the protocols, a cf_score model reproduces
// origin order exactly, unusable scores fall back to origin order.
import { readFileSync } from "node:fs";
import onnxProto from "onnx-proto";
import { describe, expect, it } from "vitest";
import { FEATURE_NAMES } from "../../core/features.js";
import type { ModelManifest } from "../../core/manifest.js";
import { generateSynthetic } from "../../origin/src/synthetic.js";
import { evaluateGivenModel, GIVEN_MODEL_CAVEAT, ImportError, importManifest, parseImportSchema } from "./byom.js";
import { randomSplit, renderHtml, runProtocols } from "./protocols.js";

const read = (rel: string) => readFileSync(new URL(rel, import.meta.url));
const onnx = (name: string) => new Uint8Array(read(`../../worker/test/fixtures/onnx/${name}.onnx`));
const schemaText = (name: string) => read(`../fixtures/byom/${name}.schema.json`).toString("utf8");
const createdAt = new Date("2026-11-25T00:00:00Z");

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ImportError) return e.problems;
    throw e;
  }
  throw new Error("expected an ImportError");
}

async function asyncProblems(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ImportError) return e.problems;
    throw e;
  }
  throw new Error("expected an ImportError");
}

describe("importManifest", () => {
  it("builds the checked-in manifests the worker tests serve (one input; item input + broadcast context)", async () => {
    for (const name of ["mlp_layernorm", "crossnet_context"]) {
      const schema = parseImportSchema(schemaText(name), `${name}.schema.json`);
      const m = await importManifest(onnx(name), schema, { onnxFile: "m.onnx", schemaFile: "s.json", createdAt });
      expect(m).toEqual(JSON.parse(read(`../fixtures/byom/${name}.manifest.json`).toString("utf8")));
    }
  });

  it("refuses a schema that does not match the model's inputs, naming each mismatch", async () => {
    const schema = parseImportSchema(
      JSON.stringify({
        version: "x-1",
        output: "score",
        inputs: [
          { name: "item_features", features: ["cf_score", "popularity"] },
          { name: "ctx", features: ["hour_sin"], broadcast: true },
        ],
      }),
      "s.json",
    );
    expect(
      await asyncProblems(
        importManifest(onnx("crossnet_context"), schema, { onnxFile: "m.onnx", schemaFile: "s.json" }),
      ),
    ).toEqual([
      's.json field "inputs.0": 2 features for "item_features", but the graph wants 12 columns',
      's.json field "inputs.1": input "ctx" is not a graph input of m.onnx (graph inputs: item_features, context)',
      's.json field "inputs": graph input "context" of m.onnx is not fed',
    ]);
  });

  it("refuses a file that is not ONNX", async () => {
    const schema = parseImportSchema(schemaText("mlp_layernorm"), "s.json");
    const junk = new TextEncoder().encode("not a model at all");
    expect(await asyncProblems(importManifest(junk, schema, { onnxFile: "m.onnx", schemaFile: "s.json" }))).toEqual([
      expect.stringMatching(/^m\.onnx: not an ONNX model/),
    ]);
  });
});

describe("parseImportSchema", () => {
  it("names the line and field of an unknown feature", () => {
    const text = schemaText("crossnet_context").replace('"is_weekend"', '"is_holiday"');
    const line = text.split("\n").findIndex((l) => l.includes('"is_holiday"')) + 1;
    expect(line).toBeGreaterThan(1);
    expect(problems(() => parseImportSchema(text, "s.json"))).toEqual([
      `s.json:${line} field "inputs.1.features.2": "is_holiday" is not a frontrow feature (schema v2)`,
    ]);
  });

  it("names missing and unknown keys", () => {
    const text = '{\n  "version": "a",\n  "inputs": [{ "name": "x", "features": ["cf_score"], "bradcast": true }]\n}';
    expect(problems(() => parseImportSchema(text, "s.json"))).toEqual([
      's.json:1 field "output": Invalid input: expected string, received undefined',
      's.json:3 field "inputs.0": Unrecognized key: "bradcast"',
    ]);
  });

  it("refuses empty files, bad JSON and inputs mapped twice", () => {
    expect(problems(() => parseImportSchema("  \n", "s.json"))).toEqual(["s.json: empty file"]);
    expect(problems(() => parseImportSchema("{ nope", "s.json"))[0]).toMatch(/^s\.json: not valid JSON \(/);
    const twice = JSON.stringify({
      version: "a",
      output: "score",
      inputs: [
        { name: "x", features: ["cf_score"] },
        { name: "x", features: ["popularity"] },
      ],
    });
    expect(problems(() => parseImportSchema(twice, "s.json"))).toEqual([
      's.json field "inputs": input "x" is mapped twice',
    ]);
  });
});

const { onnx: O } = onnxProto;

/**
 * Two inputs as the PyTorch cross network has: item [n, 1] = cf_score and a broadcast context row [1, 4]. The
 * score is cf_score + 0 x context, so it orders candidates exactly as the origin (whose order is by CF score).
 */
function cfScoreModel(): Uint8Array {
  const value = (name: string, dims: (number | string)[]) => ({
    name,
    type: {
      tensorType: {
        elemType: O.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
  const message = O.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "frontrow-test",
    graph: {
      name: "cf_score_only",
      node: [
        { name: "ctx", opType: "MatMul", input: ["context", "zero"], output: ["ctx0"] },
        { name: "add", opType: "Add", input: ["item", "ctx0"], output: ["score"] },
      ],
      initializer: [{ name: "zero", dims: [4, 1], dataType: O.TensorProto.DataType.FLOAT, floatData: [0, 0, 0, 0] }],
      input: [value("item", ["n", 1]), value("context", [1, 4])],
      output: [value("score", ["n", 1])],
    },
  });
  return O.ModelProto.encode(message).finish();
}

const CF_SCORE_SCHEMA = {
  version: "cf-score-only-1",
  output: "score",
  inputs: [
    { name: "item", features: ["cf_score"] },
    { name: "context", features: ["hour_sin", "hour_cos", "is_weekend", "device_phone"], broadcast: true },
  ],
};

describe("evaluateGivenModel", () => {
  const world = generateSynthetic({ seed: 11, users: 80, items: 120 });
  const where = { onnxFile: "m.onnx", schemaFile: "s.json", createdAt };
  const manifestOf = (bytes: Uint8Array, schema: unknown) =>
    importManifest(bytes, parseImportSchema(JSON.stringify(schema), "s.json"), where);

  it("a model scoring cf_score reproduces origin order exactly; popularity and origin are as runProtocols has them", async () => {
    const bytes = cfScoreModel();
    const manifest = await manifestOf(bytes, CF_SCORE_SCHEMA);
    const report = await evaluateGivenModel(
      world,
      bytes,
      manifest,
      { kind: "imported", files: ["m.onnx", "s.json"] },
      {
        seed: 2,
      },
    );
    expect(report.results.map((r) => r.protocol)).toEqual(["temporal", "random"]);
    for (const r of report.results) {
      for (const p of ["window", "next"] as const) {
        expect(r.evaluation[p].model).toEqual(r.evaluation[p].origin);
        expect(r.evaluation[p].origin.count).toBeGreaterThan(50);
      }
      expect(r.evaluation.gain).toEqual({ window: { ndcg10: 0, se: 0 }, next: { ndcg10: 0, se: 0 } });
      expect(r.description).toContain("not a clean protocol result");
    }
    expect(report.model).toEqual({
      version: "cf-score-only-1",
      kind: "imported",
      files: ["m.onnx", "s.json"],
      sha256: manifest.sha256,
      inputs: [
        { name: "item", features: ["cf_score"], broadcast: false },
        { name: "context", features: ["hour_sin", "hour_cos", "is_weekend", "device_phone"], broadcast: true },
      ],
      trainingFingerprint: null,
      fallbacks: 0,
      caveat: GIVEN_MODEL_CAVEAT,
    });

    // The same held-out lists as the protocols that train their own re-ranker: same baselines, same visible parts.
    const trained = await runProtocols(world, { seed: 2, epochs: 1 });
    expect(report.fingerprint).toBe(trained.fingerprint);
    report.results.forEach((r, i) => {
      const t = trained.results[i];
      expect(r.protocol).toBe(t?.protocol);
      expect(r.trainedOn).toEqual(t?.trainedOn);
      for (const p of ["window", "next"] as const) {
        expect(r.evaluation[p].popularity).toEqual(t?.evaluation[p].popularity);
        expect(r.evaluation[p].origin).toEqual(t?.evaluation[p].origin);
      }
    });

    const html = renderHtml(report);
    expect(html).toContain(
      `<b>Model as given: cf-score-only-1</b> (imported, sha256 ${manifest.sha256.slice(0, 16)}...)`,
    );
    expect(html).toContain("origin + cf-score-only-1");
    expect(html).toContain("origin fitted on");
    expect(html).not.toContain("re-ranker vs origin");
  }, 60_000);

  it("the PyTorch fixtures (one input; item input + broadcast context) leave popularity and origin order unchanged", async () => {
    const cf = cfScoreModel();
    const base = await evaluateGivenModel(world, cf, await manifestOf(cf, CF_SCORE_SCHEMA), {
      kind: "imported",
      files: [],
    });
    for (const name of ["mlp_layernorm", "crossnet_context"]) {
      const bytes = onnx(name);
      const manifest = JSON.parse(read(`../fixtures/byom/${name}.manifest.json`).toString("utf8")) as ModelManifest;
      const report = await evaluateGivenModel(world, bytes, manifest, { kind: "artifact", files: [] });
      expect(report.model.fallbacks).toBe(0);
      report.results.forEach((r, i) => {
        const b = base.results[i];
        for (const p of ["window", "next"] as const) {
          expect(r.evaluation[p].popularity).toEqual(b?.evaluation[p].popularity);
          expect(r.evaluation[p].origin).toEqual(b?.evaluation[p].origin);
          expect(r.evaluation[p].model.count).toBe(b?.evaluation[p].origin.count);
        }
        // These fixtures' columns carry no meaning: they re-rank, and not like the origin.
        expect(r.evaluation.window.model).not.toEqual(r.evaluation.window.origin);
      });
    }
  }, 60_000);

  it("scores the edge cannot use (NaN) rank in origin order, as the edge does, and are counted", async () => {
    const bytes = onnx("nan_score");
    const manifest = await manifestOf(bytes, {
      version: "nan-1",
      output: "score",
      inputs: [{ name: "features", features: FEATURE_NAMES.slice(0, 4) }],
    });
    const report = await evaluateGivenModel(
      world,
      bytes,
      manifest,
      { kind: "imported", files: [] },
      {
        protocols: ["random"],
      },
    );
    const r = report.results[0];
    expect(r?.evaluation.window.model).toEqual(r?.evaluation.window.origin);
    expect(r?.evaluation.next.model).toEqual(r?.evaluation.next.origin);
    // One scoring call per held-out view (each list in the context of each of its views), every one unusable.
    const heldOut = world.interactions.length - randomSplit(world, 1).train.length;
    expect(report.model.fallbacks).toBe(heldOut);
  }, 60_000);
});
