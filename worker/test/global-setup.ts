// Node-side setup for the workerd tests: the real reference origin, a fault proxy in front of it, and real models.
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { serve } from "@hono/node-server";
import onnxProto from "onnx-proto";
import * as ortNode from "onnxruntime-node";
import type { TestProject } from "vitest/node";
import { extractFeatures, FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from "../../core/features.js";
import { gemmChain } from "../../core/kernel/test-graphs.js";
import { sha256Hex } from "../../core/manifest.js";
import { configKeys } from "../../edge-config/keys.js";
import { ConfigKv, loadConfigDir, publishConfig } from "../../edge-config/publish.js";
import { trainModel } from "../../model-export/src/index.js";
import { MemoryStore } from "../../model-export/src/memory-store.js";
import { createApp } from "../../origin/src/app.js";
import { createGenerator } from "../../origin/src/cf/index.js";
import { OriginRows } from "../../origin/src/rows.js";
import { generateSynthetic } from "../../origin/src/synthetic.js";
import { startFaultOrigin } from "./fault-origin.js";
import { parityInputs } from "./parity-inputs.js";
import { TEST_ORIGIN_TOKEN, TEST_SIGNING_KEY } from "./secrets.js";

/** A loopback port that was free a moment ago and has nothing listening now: "the origin is down". */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

export default async function setup(project: TestProject) {
  // A small synthetic world keeps setup to a few seconds; the same generator as the default, other sizes.
  const dataset = generateSynthetic({ seed: 7, users: 200, items: 400 });
  const generator = createGenerator("ease");
  generator.fit(dataset.interactions);
  // The origin requires its bearer token, as a deployed one should: the worker under test must send it.
  const app = createApp(new OriginRows(dataset, generator), { log: () => {}, token: TEST_ORIGIN_TOKEN });
  // Ports are picked by the OS so concurrent test runs on one machine never collide.
  const origin = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve, reject) => {
    origin.once("listening", () => resolve());
    origin.once("error", reject);
  });
  const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const faults = await startFaultOrigin(0, originUrl);
  project.provide("urls", {
    origin: originUrl,
    faults: `http://127.0.0.1:${(faults.address() as AddressInfo).port}`,
    down: `http://127.0.0.1:${await closedPort()}`,
  });

  const trained = await trainModel(dataset, {
    seed: 1,
    evaluate: false,
    version: "test-model-1",
    createdAt: new Date(0),
  });
  project.provide("model", {
    onnxBase64: Buffer.from(trained.onnx).toString("base64"),
    manifestJson: JSON.stringify(trained.manifest),
  });

  // Reference scores from onnxruntime-node (CPU) for the parity test: the same model on the same features.
  const session = await ortNode.InferenceSession.create(trained.onnx);
  const parity: { n: number; scores: number[] }[] = [];
  for (const { columns, profile, ctx } of parityInputs()) {
    const m = extractFeatures(columns, profile, ctx);
    const out = await session.run({ features: new ortNode.Tensor("float32", m.data, [m.rows, m.cols]) });
    parity.push({ n: m.rows, scores: Array.from((out.score as ortNode.Tensor).data as Float32Array) });
  }
  await session.release();
  project.provide("parityScores", parity);

  // A real ONNX graph whose every score is 0/0: the edge must refuse its scores, not serve them.
  const nan = new Uint8Array(readFileSync(new URL("./fixtures/onnx/nan_score.onnx", import.meta.url)));
  const nanManifest = {
    format: "frontrow-model/1",
    version: "nan-1",
    sha256: await sha256Hex(nan),
    opset: 13,
    sizeBytes: nan.length,
    createdAt: new Date(0).toISOString(),
    featureSchema: { version: FEATURE_SCHEMA_VERSION, dtype: "float32" },
    inputs: [{ name: "features", features: FEATURE_NAMES.slice(0, 4), broadcast: false }],
    output: "score",
  };
  // The edge policy files as `npm run config -- publish` stores them (Node's publisher, signed with the test key):
  // the worker must accept exactly this document, hash and signature computed on the other side.
  const configStore = new MemoryStore();
  const published = await publishConfig(new ConfigKv(configStore), loadConfigDir().cfg, new Date(0), TEST_SIGNING_KEY);
  project.provide("publishedConfig", {
    version: published.version,
    documentJson: new TextDecoder().decode((await configStore.get(configKeys.version(published.version))) ?? undefined),
  });

  // The trained model with one infinite weight: 0 * Infinity is NaN in ORT, and in the dense kernel too (it
  // multiplies every input, zeros included), so the load-time probe finds the two equal on it.
  const proto = onnxProto.onnx.ModelProto.decode(trained.onnx);
  const weight = proto.graph?.initializer?.find((t) => t.name === "layer0.weight");
  if (!weight?.rawData) throw new Error("the trained model has no layer0.weight raw data");
  const raw = new Uint8Array(weight.rawData);
  new DataView(raw.buffer, raw.byteOffset, raw.byteLength).setFloat32(0, Number.POSITIVE_INFINITY, true);
  weight.rawData = raw;
  const inf = onnxProto.onnx.ModelProto.encode(proto).finish();
  project.provide("infWeightModel", {
    onnxBase64: Buffer.from(inf).toString("base64"),
    manifestJson: JSON.stringify({
      ...trained.manifest,
      version: "inf-weight-1",
      sha256: await sha256Hex(inf),
      sizeBytes: inf.length,
    }),
  });

  // A dense chain with a 300-wide hidden layer. The kernel refuses layers of more than 256 inputs: past that,
  // MLAS no longer sums a layer's inputs in one run, so the kernel's straight sum would differ in the low bits.
  const wide = gemmChain([
    { inSize: trained.manifest.inputs[0]?.features.length ?? 0, outSize: 300, transB: 1, relu: true },
    { inSize: 300, outSize: 1, transB: 1, relu: false },
  ]);
  project.provide("wideModel", {
    onnxBase64: Buffer.from(wide).toString("base64"),
    manifestJson: JSON.stringify({
      ...trained.manifest,
      version: "wide-300-1",
      sha256: await sha256Hex(wide),
      sizeBytes: wide.length,
    }),
  });

  project.provide("nanModel", {
    onnxBase64: Buffer.from(nan).toString("base64"),
    manifestJson: JSON.stringify(nanManifest),
  });

  return async () => {
    await new Promise((r) => faults.close(r));
    await new Promise((r) => origin.close(r));
  };
}
