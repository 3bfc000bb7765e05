// Tests of trainModel and the training CLI on a small synthetic data set.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { featureIndices } from "../../core/features.js";
import { ModelManifestSchema, sha256Hex } from "../../core/manifest.js";
import type { Dataset } from "../../origin/src/dataset.js";
import { generateSynthetic } from "../../origin/src/synthetic.js";
import { CONTEXT_FEATURES, type TrainResult, trainModel } from "./index.js";

const run = promisify(execFile);
const createdAt = new Date("2026-11-03T08:00:00.000Z");
let dataset: Dataset;
let result: TrainResult;

beforeAll(async () => {
  dataset = generateSynthetic({ users: 100, items: 300, seed: 9 });
  result = await trainModel(dataset, { seed: 4, epochs: 3, createdAt });
});

describe("trainModel", () => {
  it("returns ONNX bytes, a valid manifest describing them and a report", async () => {
    const { onnx, manifest, report } = result;
    expect(ModelManifestSchema.parse(manifest)).toEqual(manifest);
    expect(manifest.sha256).toBe(await sha256Hex(onnx));
    expect(manifest.sizeBytes).toBe(onnx.byteLength);
    expect(manifest.version).toBe(`synth-20261103-${manifest.sha256.slice(0, 8)}`);
    const training = manifest.training as Record<string, unknown>;
    expect(training.dataset).toBe(dataset.name);
    expect(training.seed).toBe(4);
    expect(training.epochs).toBe(report.history.length);
    expect(training.fingerprint).toBe(report.fingerprint);
    expect(report.test).not.toBeNull();
    const metrics = training.metrics as Record<string, number>;
    expect(metrics.ndcg10Model).toBe(report.test?.next.model.ndcg10);
    expect(metrics.ndcg10OriginOrder).toBe(report.test?.next.origin.ndcg10);
    expect(metrics.ndcg10WindowModel).toBe(report.test?.window.model.ndcg10);
    expect(report.users.trainLists + report.users.valLists).toBeGreaterThan(90);
    expect(report.history.length).toBeGreaterThanOrEqual(1);
    expect(report.bestEpoch).toBeGreaterThanOrEqual(1);
  });

  it("is deterministic for a seed and createdAt", async () => {
    const again = await trainModel(dataset, { seed: 4, epochs: 3, createdAt, evaluate: false });
    expect(again.onnx).toEqual(result.onnx);
    expect(again.manifest.sha256).toBe(result.manifest.sha256);
    expect(again.manifest.version).toBe(result.manifest.version);
    expect(again.report.history.map((h) => h.loss)).toEqual(result.report.history.map((h) => h.loss));
    expect(again.report.test).toBeNull();
  });

  it("holds context features at zero weight when the data never observed context", async () => {
    expect(result.report.fit.dropFeatures).toEqual([]);
    const blind = await trainModel({ ...dataset, contextObserved: false }, { seed: 4, epochs: 1, evaluate: false });
    expect(blind.report.fit.dropFeatures).toEqual([...CONTEXT_FEATURES]);
    expect(CONTEXT_FEATURES).toEqual([
      "hour_sin",
      "hour_cos",
      "is_weekend",
      "device_tv",
      "device_phone",
      "device_tablet",
      "device_web",
    ]);
    expect((blind.manifest.training as Record<string, unknown>).zeroWeightFeatures).toEqual([...CONTEXT_FEATURES]);
    const first = blind.model.folded().layers[0] as { w: Float32Array; inSize: number; outSize: number };
    for (const j of featureIndices(CONTEXT_FEATURES))
      for (let o = 0; o < first.outSize; o++) expect(first.w[o * first.inSize + j]).toBe(0);
  });

  it("rejects bad options with the option's name", async () => {
    await expect(trainModel(dataset, { trainCuts: 0 })).rejects.toThrow("trainCuts must be a positive integer");
    await expect(trainModel(dataset, { valUserFraction: 1 })).rejects.toThrow("valUserFraction must be in (0, 1)");
  });
});

describe("train CLI", () => {
  const out = mkdtempSync(join(tmpdir(), "frontrow-train-"));
  const tsx = join(process.cwd(), "node_modules", ".bin", "tsx");
  const cli = join(process.cwd(), "model-export", "src", "train.ts");
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  // A tsx subprocess that trains: seconds of start-up alone on a loaded two-core machine, so not the 5 s default.
  it("writes model.onnx, manifest.json and report.json, and prints the table", async () => {
    const { stdout } = await run(tsx, [
      cli,
      "--users",
      "60",
      "--items",
      "200",
      "--epochs",
      "1",
      "--out",
      out,
      "--version",
      "t-1",
    ]);
    expect(stdout).toMatch(/^epoch {2}1 {2}loss/m);
    expect(stdout).toContain("origin + re-ranker");
    expect(readdirSync(out).sort()).toEqual(["manifest.json", "model.onnx", "report.json"]);
    const manifest = ModelManifestSchema.parse(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")));
    expect(manifest.version).toBe("t-1");
    expect(manifest.sha256).toBe(await sha256Hex(readFileSync(join(out, "model.onnx"))));
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    expect(report.manifest.sha256).toBe(manifest.sha256);
  }, 60_000);

  it("names the bad option and exits 2", async () => {
    await expect(run(tsx, [cli, "--seed", "x1"])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--seed: "x1" is not an integer >= 0'),
    });
    await expect(run(tsx, [cli, "--data", "/nonexistent-dir"])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("/nonexistent-dir/movies.csv: cannot read file (ENOENT)"),
    });
  });
});
