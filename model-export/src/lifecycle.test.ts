// Lifecycle against a memory store: immutable publish, write order, interrupted and concurrent publishes, versions
// written by other tools, activation history, rollback, listing.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { ModelManifest } from "../../core/manifest.js";
import { signatureProblem, withoutSignature } from "../../core/signature.js";
import {
  activateVersion,
  formatListing,
  LifecycleError,
  listVersions,
  POINTER_HISTORY,
  publishVersion,
  rollbackPointer,
  versionMeta,
} from "./lifecycle.js";
import { MemoryStore } from "./memory-store.js";

const fixture = (name: string) => new URL(`../fixtures/byom/${name}`, import.meta.url);
const bytes = new Uint8Array(
  readFileSync(new URL("../../worker/test/fixtures/onnx/mlp_layernorm.onnx", import.meta.url)),
);
let manifest: ModelManifest;
const as = (version: string): ModelManifest => ({ ...manifest, version });
const NOW = new Date("2026-11-25T12:00:00Z");

beforeAll(() => {
  manifest = JSON.parse(readFileSync(fixture("mlp_layernorm.manifest.json"), "utf8"));
});

describe("publishVersion", () => {
  it("signs the stored manifest with signingKey (ARTIFACT_SIGNING_KEY); without one it is stored unsigned", async () => {
    const store = new MemoryStore();
    await publishVersion(store, bytes, as("signed-1"), { now: NOW, signingKey: "signing-key-1" });
    await publishVersion(store, bytes, as("plain-1"), { now: NOW });
    const read = async (v: string) =>
      JSON.parse(new TextDecoder().decode((await store.get(`model:${v}:manifest`)) ?? undefined));
    const signedOne = await read("signed-1");
    expect(await signatureProblem("model-manifest", signedOne, "signing-key-1")).toBeNull();
    expect(withoutSignature(signedOne)).toEqual(as("signed-1"));
    expect((await read("plain-1")).signature).toBeUndefined();
    // Listing and activation read signed manifests like any other.
    await activateVersion(store, "signed-1", { now: NOW });
    expect((await listVersions(store)).versions.map((v) => v.version).sort()).toEqual(["plain-1", "signed-1"]);
  });

  it("writes bytes, then the manifest with its listing metadata, and nothing shared, never a pointer", async () => {
    const s = new MemoryStore();
    const out = await publishVersion(s, bytes, manifest, { now: NOW, source: "imported" });
    expect(s.writes).toEqual(["model:torch-mlp-layernorm-1:onnx", "model:torch-mlp-layernorm-1:manifest"]);
    expect(out).toEqual({ version: "torch-mlp-layernorm-1", written: s.writes, resumed: [] });
    expect(s.metadata.get("model:torch-mlp-layernorm-1:manifest")).toEqual({
      publishedAt: "2026-11-25T12:00:00.000Z",
      sha256: manifest.sha256,
      sizeBytes: 6034,
      source: "imported",
    });
    expect(s.json("model:torch-mlp-layernorm-1:manifest")).toEqual(manifest);
    expect(s.data.get("model:torch-mlp-layernorm-1:onnx")).toEqual(bytes);
    expect(s.data.has("model:versions")).toBe(false);
  });

  it("refuses a version already published, even with identical bytes, and writes nothing", async () => {
    const s = new MemoryStore();
    await publishVersion(s, bytes, manifest);
    const before = s.writes.length;
    await expect(publishVersion(s, bytes, manifest)).rejects.toThrow(
      `model torch-mlp-layernorm-1 is already published (sha256 ${manifest.sha256.slice(0, 12)}..., created 2026-11-25T00:00:00.000Z); versions are immutable, publish under a new --version`,
    );
    expect(s.writes.length).toBe(before);
  });

  it("refuses bytes that do not match the manifest", async () => {
    const s = new MemoryStore();
    const bad = bytes.slice();
    bad[10] = (bad[10] as number) ^ 1;
    await expect(publishVersion(s, bad, manifest)).rejects.toThrow(/do not match the manifest/);
    expect(s.writes).toEqual([]);
  });

  it("refuses the reserved version name whose keys would be region pointers", async () => {
    const s = new MemoryStore();
    await expect(publishVersion(s, bytes, as("active"))).rejects.toThrow(
      'model active: version "active" is reserved (model:active:<x> keys are the region pointers); publish under another --version',
    );
    expect(s.writes).toEqual([]);
  });

  it("an interrupted publish is invisible, and publishing again completes it", async () => {
    const s = new MemoryStore();
    s.failOn = "model:torch-mlp-layernorm-1:manifest";
    await expect(publishVersion(s, bytes, manifest)).rejects.toThrow(
      "write of model:torch-mlp-layernorm-1:manifest failed",
    );
    expect((await listVersions(s)).versions).toEqual([]);
    await expect(activateVersion(s, "torch-mlp-layernorm-1")).rejects.toThrow(
      "model torch-mlp-layernorm-1 is not published in memory store (nothing is published)",
    );
    s.failOn = null;
    const out = await publishVersion(s, bytes, manifest);
    expect(out.resumed).toEqual(["model:torch-mlp-layernorm-1:onnx"]);
    expect(out.written).toEqual(["model:torch-mlp-layernorm-1:manifest"]);
    expect((await listVersions(s)).versions.map((v) => v.version)).toEqual(["torch-mlp-layernorm-1"]);
  });

  it("refuses when an unpublished version's bytes key holds other bytes", async () => {
    const s = new MemoryStore();
    s.data.set("model:torch-mlp-layernorm-1:onnx", new Uint8Array([1, 2, 3]));
    await expect(publishVersion(s, bytes, manifest)).rejects.toThrow(
      "model:torch-mlp-layernorm-1:onnx already holds different bytes (3 stored, 6034 new)",
    );
    expect(s.writes).toEqual([]);
  });

  it("keeps metrics out of the metadata when they would not fit KV's 1,024 bytes; list reads them from the manifest", async () => {
    const metrics = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`metric_number_${i}`, i / 7]));
    const small = { ...as("small"), training: { metrics: { ndcg10Model: 0.25 } } };
    const big = { ...as("big"), training: { metrics } };
    expect(versionMeta(small, NOW)).toEqual({
      publishedAt: NOW.toISOString(),
      sha256: manifest.sha256,
      sizeBytes: 6034,
      metrics: { ndcg10Model: 0.25 },
    });
    expect(versionMeta(big, NOW)).toEqual({
      publishedAt: NOW.toISOString(),
      sha256: manifest.sha256,
      sizeBytes: 6034,
      metricsInManifest: true,
    });
    const s = new MemoryStore();
    await publishVersion(s, bytes, small, { now: NOW });
    await publishVersion(s, bytes, big, { now: NOW });
    const l = await listVersions(s);
    expect(l.versions.map((v) => [v.version, v.metrics])).toEqual([
      ["big", metrics],
      ["small", { ndcg10Model: 0.25 }],
    ]);
  });
});

describe("concurrent writers (KV has no compare-and-swap)", () => {
  it("two publishes that both read KV before either writes: both versions are listed and activatable", async () => {
    const s = new MemoryStore();
    // Each publish's first write waits for the other's: both have done all their reads by then.
    s.holdWrites(2);
    await Promise.all([
      publishVersion(s, bytes, as("alice-1"), { now: new Date(1000) }),
      publishVersion(s, bytes, as("bob-1"), { now: new Date(2000) }),
    ]);
    const l = await listVersions(s);
    expect(l.versions.map((v) => [v.version, v.publishedAt, v.activeIn])).toEqual([
      ["alice-1", "1970-01-01T00:00:01.000Z", []],
      ["bob-1", "1970-01-01T00:00:02.000Z", []],
    ]);
    expect(await activateVersion(s, "alice-1")).toMatchObject({ from: null, to: "alice-1", changed: true });
    expect(await activateVersion(s, "bob-1", { region: "eu-west" })).toMatchObject({ to: "bob-1", changed: true });
    expect((await listVersions(s)).versions.map((v) => [v.version, v.activeIn])).toEqual([
      ["alice-1", ["global"]],
      ["bob-1", ["eu-west"]],
    ]);
  });

  it("two first activations of different regions at once: both regions are listed", async () => {
    const s = new MemoryStore();
    await publishVersion(s, bytes, as("a"), { now: NOW });
    await publishVersion(s, bytes, as("b"), { now: NOW });
    s.holdWrites(2);
    await Promise.all([activateVersion(s, "a", { region: "us-east" }), activateVersion(s, "b", { region: "eu-west" })]);
    const l = await listVersions(s);
    expect(Object.keys(l.regions)).toEqual(["eu-west", "us-east"]);
    expect(l.versions.map((v) => [v.version, v.activeIn])).toEqual([
      ["a", ["us-east"]],
      ["b", ["eu-west"]],
    ]);
  });
});

describe("versions written by other tools", () => {
  const put = (s: MemoryStore, key: string, value: unknown) =>
    s.data.set(key, new TextEncoder().encode(JSON.stringify(value)));

  it("merges a legacy model:versions index (publish times, regions) with versions listed from their keys", async () => {
    const s = new MemoryStore();
    // What earlier tools left: version keys without metadata, the index, a region pointer.
    s.data.set("model:old-1:onnx", bytes);
    put(s, "model:old-1:manifest", as("old-1"));
    put(s, "model:versions", {
      versions: [
        {
          version: "old-1",
          publishedAt: "2026-01-01T00:00:00.000Z",
          sha256: manifest.sha256,
          sizeBytes: 6034,
          metrics: { ndcg10Model: 0.3 },
          source: "trained",
        },
      ],
      regions: ["ap-south"],
    });
    put(s, "model:active:ap-south", { version: "old-1", activatedAt: "2026-01-02T00:00:00.000Z" });
    await publishVersion(s, bytes, as("new-1"), { now: NOW, source: "imported" });
    const l = await listVersions(s);
    expect(l.versions).toEqual([
      {
        version: "old-1",
        publishedAt: "2026-01-01T00:00:00.000Z",
        sha256: manifest.sha256,
        sizeBytes: 6034,
        metrics: { ndcg10Model: 0.3 },
        source: "trained",
        activeIn: ["ap-south"],
      },
      {
        version: "new-1",
        publishedAt: "2026-11-25T12:00:00.000Z",
        sha256: manifest.sha256,
        sizeBytes: 6034,
        source: "imported",
        activeIn: [],
      },
    ]);
    expect(Object.keys(l.regions)).toEqual(["ap-south"]);
    // The index is read, never rewritten.
    expect(s.writes).not.toContain("model:versions");
    await activateVersion(s, "old-1");
    expect(s.writes.at(-1)).toBe("model:active");
  });

  it("lists and activates a version the origin publisher wrote (bytes + manifest, no metadata)", async () => {
    const s = new MemoryStore();
    s.data.set("model:origin-1:onnx", bytes);
    put(s, "model:origin-1:manifest", as("origin-1"));
    put(s, "model:active", { version: "origin-1", activatedAt: "2026-01-01T00:00:00.000Z" });
    const l = await listVersions(s);
    expect(l.versions).toEqual([
      {
        version: "origin-1",
        publishedAt: null,
        sha256: manifest.sha256,
        sizeBytes: 6034,
        source: "imported",
        activeIn: ["global"],
      },
    ]);
    expect(formatListing(l).split("\n")[1]).toMatch(/^origin-1 +- +6034 +- +- {2}global$/);
  });

  it("activate refuses a version whose stored bytes do not match its manifest", async () => {
    const s = new MemoryStore();
    s.data.set("model:mixed-1:onnx", new Uint8Array([1, 2, 3]));
    put(s, "model:mixed-1:manifest", as("mixed-1"));
    await expect(activateVersion(s, "mixed-1")).rejects.toThrow(
      `model mixed-1: stored bytes (3 bytes, sha256 039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81) do not match its manifest (6034 bytes, sha256 ${manifest.sha256}); not activated`,
    );
    s.data.delete("model:mixed-1:onnx");
    await expect(activateVersion(s, "mixed-1")).rejects.toThrow(
      "model mixed-1 has a manifest but its bytes are missing; publish it again",
    );
    expect(s.writes).toEqual([]);
  });
});

describe("activate, rollback, list", () => {
  async function published(...versions: string[]): Promise<MemoryStore> {
    const s = new MemoryStore();
    for (const v of versions) await publishVersion(s, bytes, as(v), { now: NOW });
    return s;
  }

  it("keeps the previous activation in the pointer and rolls back in one write", async () => {
    const s = await published("a", "b", "c");
    await activateVersion(s, "a", { now: new Date(1000) });
    await activateVersion(s, "b", { now: new Date(2000) });
    const change = await activateVersion(s, "c", { now: new Date(3000) });
    expect(change).toEqual({ key: "model:active", from: "b", to: "c", changed: true });
    expect(s.json("model:active")).toEqual({
      version: "c",
      activatedAt: "1970-01-01T00:00:03.000Z",
      history: [
        { version: "b", activatedAt: "1970-01-01T00:00:02.000Z" },
        { version: "a", activatedAt: "1970-01-01T00:00:01.000Z" },
      ],
    });
    const writes = s.writes.length;
    expect(await rollbackPointer(s, { now: new Date(4000) })).toMatchObject({ from: "c", to: "b" });
    expect(s.writes.slice(writes)).toEqual(["model:active"]);
    expect(await rollbackPointer(s)).toMatchObject({ from: "b", to: "a" });
    await expect(rollbackPointer(s)).rejects.toThrow(
      "model:active: the global pointer has no earlier activation to roll back to (active: a); activate a version instead",
    );
  });

  it("activating the active version writes nothing", async () => {
    const s = await published("a");
    await activateVersion(s, "a");
    const writes = s.writes.length;
    expect(await activateVersion(s, "a")).toMatchObject({ changed: false });
    expect(s.writes.length).toBe(writes);
  });

  it("bounds the history", async () => {
    const s = await published("a", "b");
    for (let i = 0; i < POINTER_HISTORY + 5; i++) await activateVersion(s, i % 2 ? "a" : "b");
    expect((s.json("model:active") as { history: unknown[] }).history).toHaveLength(POINTER_HISTORY);
  });

  it("per-region pointers are separate and listed", async () => {
    const s = await published("a", "b");
    await activateVersion(s, "a", { now: new Date(1000) });
    const writes = s.writes.length;
    await activateVersion(s, "b", { region: "us-east", now: new Date(2000) });
    // A new region is one pointer write: nothing shared to register it in.
    expect(s.writes.slice(writes)).toEqual(["model:active:us-east"]);
    expect(s.json("model:active:us-east")).toEqual({
      version: "b",
      activatedAt: "1970-01-01T00:00:02.000Z",
      history: [],
    });
    const l = await listVersions(s);
    const entry = { publishedAt: NOW.toISOString(), sha256: manifest.sha256, sizeBytes: 6034 };
    expect(l).toEqual({
      versions: [
        { version: "a", ...entry, activeIn: ["global"] },
        { version: "b", ...entry, activeIn: ["us-east"] },
      ],
      global: { version: "a", activatedAt: "1970-01-01T00:00:01.000Z", history: [] },
      regions: { "us-east": { version: "b", activatedAt: "1970-01-01T00:00:02.000Z", history: [] } },
    });
    expect(formatListing(l).split("\n")).toEqual([
      "version                          published                    size  NDCG@10   origin  active in",
      "a                                2026-11-25T12:00:00.000Z     6034        -        -  global",
      "b                                2026-11-25T12:00:00.000Z     6034        -        -  us-east",
    ]);
    // Rolling back a region's first activation removes the override: the region follows global again.
    expect(await rollbackPointer(s, { region: "us-east" })).toEqual({
      key: "model:active:us-east",
      from: "b",
      to: "follows global (a)",
      changed: true,
    });
    expect(await s.get("model:active:us-east")).toBeNull();
    expect((await listVersions(s)).regions).toEqual({});
    await expect(rollbackPointer(s, { region: "us-east" })).rejects.toThrow(
      "model:active:us-east: region us-east has never been activated; nothing to roll back",
    );
    await expect(rollbackPointer(s, { region: "eu-west" })).rejects.toThrow(
      "model:active:eu-west: region eu-west has never been activated; nothing to roll back",
    );
  });

  it("refuses unknown versions and malformed regions", async () => {
    const s = await published("a");
    await expect(activateVersion(s, "zzz")).rejects.toThrow(
      "model zzz is not published in memory store (published: a)",
    );
    await expect(activateVersion(s, "a", { region: "EU West" })).rejects.toThrow(LifecycleError);
  });
});
