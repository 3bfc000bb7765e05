// Bring-your-own-model import: the PyTorch fixtures give the checked-in manifests; bad schemas name file, line and field.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ImportError, importManifest, parseImportSchema } from "./byom.js";

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
