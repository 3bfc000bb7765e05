// Lifecycle against a memory store: immutable publish, write order, interrupted publishes, activation history, rollback.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { ModelManifest } from "../../core/manifest.js";
import {
  activateVersion,
  LifecycleError,
  listVersions,
  POINTER_HISTORY,
  publishVersion,
  rollbackPointer,
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
  it("writes bytes, then manifest, then the index entry, and never a pointer", async () => {
    const s = new MemoryStore();
    const out = await publishVersion(s, bytes, manifest, { now: NOW, source: "imported" });
    expect(s.writes).toEqual([
      "model:torch-mlp-layernorm-1:onnx",
      "model:torch-mlp-layernorm-1:manifest",
      "model:versions",
    ]);
    expect(out.written).toEqual(s.writes);
    expect(s.json("model:versions")).toEqual({
      versions: [
        {
          version: "torch-mlp-layernorm-1",
          publishedAt: "2026-11-25T12:00:00.000Z",
          sha256: manifest.sha256,
          sizeBytes: 6034,
          source: "imported",
        },
      ],
      regions: [],
    });
    expect(s.data.get("model:torch-mlp-layernorm-1:onnx")).toEqual(bytes);
  });

  it("refuses a version already published, even with identical bytes, and writes nothing", async () => {
    const s = new MemoryStore();
    await publishVersion(s, bytes, manifest);
    const before = s.writes.length;
    await expect(publishVersion(s, bytes, manifest)).rejects.toThrow(
      /^model torch-mlp-layernorm-1 is already published \(sha256 [0-9a-f]{12}\.\.\., .*\); versions are immutable/,
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

  it("an interrupted publish is invisible, and publishing again completes it", async () => {
    const s = new MemoryStore();
    s.failOn = "model:torch-mlp-layernorm-1:manifest";
    await expect(publishVersion(s, bytes, manifest)).rejects.toThrow(
      "write of model:torch-mlp-layernorm-1:manifest failed",
    );
    expect(s.data.has("model:versions")).toBe(false);
    await expect(activateVersion(s, "torch-mlp-layernorm-1")).rejects.toThrow(
      "model torch-mlp-layernorm-1 is not published in memory store (nothing is published)",
    );
    s.failOn = null;
    const out = await publishVersion(s, bytes, manifest);
    expect(out.resumed).toEqual(["model:torch-mlp-layernorm-1:onnx"]);
    expect(out.written).toEqual(["model:torch-mlp-layernorm-1:manifest", "model:versions"]);
  });

  it("refuses when an unlisted version's key holds other bytes", async () => {
    const s = new MemoryStore();
    s.data.set("model:torch-mlp-layernorm-1:onnx", new Uint8Array([1, 2, 3]));
    await expect(publishVersion(s, bytes, manifest)).rejects.toThrow(
      "model:torch-mlp-layernorm-1:onnx already holds different bytes (3 stored, 6034 new)",
    );
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
    await activateVersion(s, "a");
    await activateVersion(s, "b", { region: "us-east" });
    expect(s.json("model:active:us-east")).toMatchObject({ version: "b", history: [] });
    const l = await listVersions(s);
    expect(l.versions.map((v) => [v.version, v.activeIn])).toEqual([
      ["a", ["global"]],
      ["b", ["us-east"]],
    ]);
    await expect(rollbackPointer(s, { region: "us-east" })).rejects.toThrow(
      "model:active:us-east: region us-east has no earlier activation",
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
