// Model lifecycle at the edge: per-region pointers, rollback, bad versions, bounded loaded versions, imported models.
// Versions are published and activated with model-export's own lifecycle steps, as `npm run model` does.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { keys, POINTER_RETRY_MS } from "../../core/keys.js";
import type { ModelManifest } from "../../core/manifest.js";
import type { Ranker } from "../../core/ranker.js";
import { signed } from "../../core/signature.js";
import crossnetManifest from "../../model-export/fixtures/byom/crossnet_context.manifest.json";
import mlpManifest from "../../model-export/fixtures/byom/mlp_layernorm.manifest.json";
import {
  activateVersion,
  listVersions,
  type ModelStore,
  publishVersion,
  rollbackPointer,
} from "../../model-export/src/lifecycle.js";
import type { RecommendationsResponse } from "../src/routes/recommendations.js";
import { ModelRegistry } from "../src/serving/models.js";
import crossnetBytes from "./fixtures/onnx/crossnet_context.onnx";
import mlpBytes from "./fixtures/onnx/mlp_layernorm.onnx";
import { EU_EVENING, flakyKv, getJson, type Harness, harness, seedUser, trainedModel } from "./helpers.js";
import { TEST_SIGNING_KEY } from "./secrets.js";

/** The test KV namespace as the CLI's store. */
const store: ModelStore = {
  description: "test KV",
  async get(key) {
    const v = await env.KV.get(key, "arrayBuffer");
    return v === null ? null : new Uint8Array(v);
  },
  async putAll(entries) {
    for (const e of entries) await env.KV.put(e.key, e.value, e.metadata ? { metadata: e.metadata } : {});
  },
  async list(prefix) {
    const out: { name: string; metadata?: unknown }[] = [];
    // A small page size, so the cursor loop runs as it does on a namespace with many versions.
    for (let cursor: string | undefined; ; ) {
      const page = await env.KV.list({ prefix, limit: 2, ...(cursor ? { cursor } : {}) });
      for (const k of page.keys)
        out.push(k.metadata == null ? { name: k.name } : { name: k.name, metadata: k.metadata });
      if (page.list_complete) return out;
      cursor = page.cursor;
    }
  },
  delete: (key) => env.KV.delete(key),
};

const US_EAST = { ...EU_EVENING, "x-frontrow-region": "us-east", "x-frontrow-timezone": "America/New_York" };

/** The trained test model under another version: same bytes, its own session. */
function variant(version: string): { onnx: Uint8Array; manifest: ModelManifest } {
  const m = trainedModel();
  return { onnx: m.onnx, manifest: { ...(m.manifest as unknown as ModelManifest), version } };
}

async function publish(...models: { onnx: Uint8Array; manifest: ModelManifest }[]): Promise<void> {
  // Signed with the test key, as `npm run model -- publish` signs with ARTIFACT_SIGNING_KEY.
  for (const m of models) await publishVersion(store, m.onnx, m.manifest, { signingKey: TEST_SIGNING_KEY });
}

async function row(h: Harness, user: string, headers: Record<string, string>): Promise<RecommendationsResponse> {
  return getJson<RecommendationsResponse>(await h.call(`/v1/recommendations/${user}?limit=5`, { headers }));
}

// Each refresh moves the registry's clock one interval further than the last, so every call is due.
let shift = 0;

/** Runs the registry's next refresh (as if the refresh interval had passed) for every scope it knows. */
async function refresh(h: Harness): Promise<void> {
  shift += 11_000;
  const pending: Promise<unknown>[] = [];
  await h.svc.models.get(env.KV, (p) => pending.push(p), Date.now() + shift);
  await Promise.all(pending);
}

// KV persists across the tests of a file: start each one with no model keys.
beforeEach(async () => {
  for (let cursor: string | undefined; ; ) {
    const page = await env.KV.list({ prefix: "model:", ...(cursor ? { cursor } : {}) });
    for (const k of page.keys) await env.KV.delete(k.name);
    if (page.list_complete) break;
    cursor = page.cursor;
  }
});

describe("per-region activation", () => {
  it("serves a region's own version to that region only", async () => {
    await publish(variant("global-1"), variant("east-1"));
    await activateVersion(store, "global-1");
    await activateVersion(store, "east-1", { region: "us-east" });
    await seedUser("3");
    await seedUser("3", "us-east");
    const h = harness();
    const eu = await row(h, "3", EU_EVENING);
    const us = await row(h, "3", US_EAST);
    expect([eu.context.region, eu.servedBy, eu.model.version]).toEqual(["eu-west", "model", "global-1"]);
    expect([us.context.region, us.servedBy, us.model.version]).toEqual(["us-east", "model", "east-1"]);
    expect([eu.items.length, us.items.length]).toEqual([5, 5]);
    expect(h.svc.models.loadedVersions().sort()).toEqual(["east-1", "global-1"]);
  });

  it("a region without its own pointer follows the global one, including later changes", async () => {
    await publish(variant("g-1"), variant("g-2"));
    await activateVersion(store, "g-1");
    await seedUser("4");
    const h = harness();
    expect((await row(h, "4", EU_EVENING)).model.version).toBe("g-1");
    await activateVersion(store, "g-2");
    await refresh(h);
    expect((await row(h, "4", EU_EVENING)).model.version).toBe("g-2");
  });
});

describe("listing from the versions' own keys", () => {
  it("lists versions (metadata read back from KV), regions and pointers across list pages", async () => {
    const at = new Date("2026-11-25T12:00:00Z");
    for (const v of ["l-1", "l-2", "l-3"]) {
      const m = variant(v);
      await publishVersion(store, m.onnx, m.manifest, { now: at, source: "trained" });
    }
    await activateVersion(store, "l-1");
    await activateVersion(store, "l-3", { region: "us-east" });
    const l = await listVersions(store);
    expect(l.versions.map((v) => [v.version, v.publishedAt, v.source, v.activeIn])).toEqual([
      ["l-1", "2026-11-25T12:00:00.000Z", "trained", ["global"]],
      ["l-2", "2026-11-25T12:00:00.000Z", "trained", []],
      ["l-3", "2026-11-25T12:00:00.000Z", "trained", ["us-east"]],
    ]);
    expect(l.versions[0]?.sha256).toBe(trainedModel().manifest.sha256);
    expect(Object.keys(l.regions)).toEqual(["us-east"]);
    expect(await env.KV.get("model:versions")).toBeNull();
  });
});

describe("rollback", () => {
  it("switches back within one refresh interval, without reloading the old version", async () => {
    await publish(variant("r-1"), variant("r-2"));
    await activateVersion(store, "r-1");
    await seedUser("5");
    const h = harness();
    expect((await row(h, "5", EU_EVENING)).model.version).toBe("r-1");
    await activateVersion(store, "r-2");
    await refresh(h);
    expect((await row(h, "5", EU_EVENING)).model.version).toBe("r-2");
    expect(h.svc.models.loadedVersions().sort()).toEqual(["r-1", "r-2"]);

    const change = await rollbackPointer(store);
    expect([change.from, change.to]).toEqual(["r-2", "r-1"]);
    // Before the interval passes the isolate keeps what it has; one refresh later it serves r-1 again.
    expect((await row(h, "5", EU_EVENING)).model.version).toBe("r-2");
    await refresh(h);
    expect((await row(h, "5", EU_EVENING)).model.version).toBe("r-1");
  });

  it("rolls one region back while the others stay", async () => {
    await publish(variant("a-1"), variant("a-2"));
    await activateVersion(store, "a-1");
    await activateVersion(store, "a-1", { region: "us-east" });
    await activateVersion(store, "a-2", { region: "us-east" });
    await seedUser("6");
    await seedUser("6", "us-east");
    const h = harness();
    expect((await row(h, "6", US_EAST)).model.version).toBe("a-2");
    await rollbackPointer(store, { region: "us-east" });
    await refresh(h);
    expect((await row(h, "6", US_EAST)).model.version).toBe("a-1");
    expect((await row(h, "6", EU_EVENING)).model.version).toBe("a-1");
  });

  it("rolling back a region's first activation puts the region back on the global pointer", async () => {
    await publish(variant("f-1"), variant("f-2"));
    await activateVersion(store, "f-1");
    await activateVersion(store, "f-2", { region: "us-east" });
    await seedUser("8", "us-east");
    const h = harness();
    expect((await row(h, "8", US_EAST)).model.version).toBe("f-2");
    const change = await rollbackPointer(store, { region: "us-east" });
    expect([change.from, change.to]).toEqual(["f-2", "follows global (f-1)"]);
    expect(await env.KV.get("model:active:us-east")).toBeNull();
    await refresh(h);
    expect((await row(h, "8", US_EAST)).model.version).toBe("f-1");
  });
});

describe("bad versions", () => {
  it("a region pointed at bytes that fail the checksum keeps its last good model", async () => {
    await publish(variant("good-1"));
    await activateVersion(store, "good-1", { region: "us-east" });
    await seedUser("7", "us-east");
    const h = harness();
    expect((await row(h, "7", US_EAST)).model.version).toBe("good-1");
    // A tampered version written behind the tools' back: the manifest is good-1's (and properly signed), the bytes
    // are not; the signature vouches for the manifest's sha256, so the checksum still catches the bytes.
    const tampered = variant("tampered-1");
    const bytes = tampered.onnx.slice();
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    await env.KV.put(keys.modelBytes("tampered-1"), bytes);
    await env.KV.put(
      keys.modelManifest("tampered-1"),
      JSON.stringify(await signed("model-manifest", tampered.manifest, TEST_SIGNING_KEY)),
    );
    await env.KV.put(
      keys.activeModelFor("us-east"),
      JSON.stringify({ version: "tampered-1", activatedAt: new Date().toISOString() }),
    );
    await refresh(h);
    const after = await row(h, "7", US_EAST);
    expect([after.servedBy, after.model.version]).toEqual(["model", "good-1"]);
    expect(h.svc.models.status("us-east").problem).toMatch(
      /^model tampered-1: checksum mismatch: sha256 [0-9a-f]{64}, manifest says [0-9a-f]{64}$/,
    );
    expect(h.svc.models.loadedVersions()).toEqual(["good-1"]);
  });

  it("a first request whose region names a broken version falls back to origin order and says why", async () => {
    await env.KV.put(keys.activeModelFor("us-east"), JSON.stringify({ version: "ghost-1", activatedAt: "x" }));
    await seedUser("8", "us-east");
    const res = await row(harness(), "8", US_EAST);
    expect([res.servedBy, res.model.version]).toEqual(["origin-order", null]);
    expect(res.degraded).toContain("model ghost-1: manifest missing");
  });
});

describe("loaded versions per isolate", () => {
  /** Fake rankers that count releases: the registry's bookkeeping without ORT. */
  function fakes() {
    const released: string[] = [];
    const loader = async (_bytes: Uint8Array, m: ModelManifest): Promise<Ranker> =>
      ({
        kind: "fake",
        version: m.version,
        score: async (f) => new Float32Array(f.rows),
        release: async () => {
          released.push(m.version);
        },
      }) as Ranker & { release(): Promise<void> };
    return { released, loader };
  }

  it("keeps at most maxLoaded versions, releases the dropped ones and never drops one that serves", async () => {
    await publish(variant("v-1"), variant("v-2"), variant("v-3"), variant("v-4"));
    const { released, loader } = fakes();
    const reg = new ModelRegistry(loader, { refreshMs: 10_000, retryFailedMs: 60_000, maxLoaded: 2 });
    const t0 = Date.now();
    const at = async (i: number, region?: string) => {
      const pending: Promise<unknown>[] = [];
      const state = await reg.get(env.KV, (p) => pending.push(p), { now: t0 + i * 11_000, region });
      await Promise.all(pending);
      return state;
    };
    await activateVersion(store, "v-1", { region: "us-east" });
    await activateVersion(store, "v-2");
    expect((await at(0, "us-east")).ranker?.version).toBe("v-1");
    expect((await at(0)).ranker?.version).toBe("v-2");
    await activateVersion(store, "v-3");
    await at(1);
    // v-1 still serves us-east, v-3 serves the rest; v-2 is the one to go.
    expect(reg.loadedVersions().sort()).toEqual(["v-1", "v-3"]);
    expect(released).toEqual(["v-2"]);
    await activateVersion(store, "v-4", { region: "us-east" });
    await at(2);
    expect((await at(2, "us-east")).ranker?.version).toBe("v-4");
    expect(reg.loadedVersions().sort()).toEqual(["v-3", "v-4"]);
    expect(released).toEqual(["v-2", "v-1"]);
  });
});

describe("reading the activation pointers", () => {
  it("after a KV error the registry looks again within POINTER_RETRY_MS, not a whole refresh later", async () => {
    await publish(variant("v-1"), variant("v-2"));
    const loader = async (_bytes: Uint8Array, m: ModelManifest): Promise<Ranker> => ({
      kind: "fake",
      version: m.version,
      score: async (f) => new Float32Array(f.rows),
    });
    const reg = new ModelRegistry(loader, { refreshMs: 10_000, retryFailedMs: 60_000 });
    const flaky = flakyKv(env.KV);
    const t0 = Date.now();
    const at = async (ms: number) => {
      const pending: Promise<unknown>[] = [];
      const state = await reg.get(flaky.kv, (p) => pending.push(p), { now: t0 + ms });
      await Promise.all(pending);
      return [state.ranker?.version, state.problem];
    };
    await activateVersion(store, "v-1");
    expect(await at(0)).toEqual(["v-1", null]);
    await activateVersion(store, "v-2");
    flaky.failing = true;
    await at(10_000);
    const outage = "model ?: activation pointer unreadable (KV GET failed: 503 Service Unavailable (injected))";
    expect(await at(10_001)).toEqual(["v-1", outage]);
    flaky.failing = false;
    expect(await at(10_000 + POINTER_RETRY_MS - 1)).toEqual(["v-1", outage]);
    await at(10_000 + POINTER_RETRY_MS);
    expect(await at(10_001 + POINTER_RETRY_MS)).toEqual(["v-2", null]);
  });
});

describe("imported PyTorch models", () => {
  it("serve a row once published and activated as `model import` does", async () => {
    const opts = { source: "imported", signingKey: TEST_SIGNING_KEY };
    await publishVersion(store, new Uint8Array(crossnetBytes), crossnetManifest as ModelManifest, opts);
    await publishVersion(store, new Uint8Array(mlpBytes), mlpManifest as ModelManifest, opts);
    await activateVersion(store, "torch-crossnet-context-1");
    await activateVersion(store, "torch-mlp-layernorm-1", { region: "us-east" });
    await seedUser("9");
    await seedUser("9", "us-east");
    const h = harness();
    const eu = await row(h, "9", EU_EVENING);
    const us = await row(h, "9", US_EAST);
    expect([eu.servedBy, eu.model.version, eu.degraded]).toEqual(["model", "torch-crossnet-context-1", []]);
    expect([us.servedBy, us.model.version, us.degraded]).toEqual(["model", "torch-mlp-layernorm-1", []]);
    expect(eu.items).toHaveLength(5);
    expect(us.items).toHaveLength(5);
  });
});
