// Publisher's pure part: the key set, model checks, immutability of model versions, bulk files.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeCandidateList } from "../../core/codec.js";
import { UserProfileSchema } from "../../core/features.js";
import { sha256Hex } from "../../core/manifest.js";
import { EaseGenerator } from "./cf/ease.js";
import {
  activeModelEntry,
  chunkBulk,
  dataEntries,
  type KvEntry,
  modelVersionEntries,
  readModelDir,
  summarize,
  toBulkItem,
  versionEntriesToWrite,
} from "./kv-entries.js";
import { writeModelFixture } from "./model-fixture.js";
import { OriginRows } from "./rows.js";
import { generateSynthetic } from "./synthetic.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function modelDir(bytes: Uint8Array, edit?: (m: Record<string, unknown>) => void): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "frontrow-model-"));
  dirs.push(dir);
  return writeModelFixture(dir, bytes, "test-1", edit);
}

const BYTES = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 255);

describe("dataEntries", () => {
  const ds = generateSynthetic({ users: 5, items: 30, seed: 2 });
  const ease = new EaseGenerator();
  ease.fit(ds.interactions);
  const entries = dataEntries(new OriginRows(ds, ease), 10);

  it("covers every key of the scheme, once", () => {
    const regions = ds.regions.map((r) => r.id);
    const expected = [
      ...[1, 2, 3, 4, 5].flatMap((u) => [
        `cand:top-picks:user:${u}`,
        `cand:because-you-watched:user:${u}`,
        `profile:${u}`,
      ]),
      ...regions.flatMap((r) => [`cand:trending:region:${r}`, `cand:popular:region:${r}`]),
      "catalog",
    ];
    expect(entries.map((e) => e.key)).toEqual(expected);
  });

  it("stores lists as codec bytes and profiles as schema-valid JSON", () => {
    const byKey = new Map(entries.map((e) => [e.key, e]));
    const top = decodeCandidateList(byKey.get("cand:top-picks:user:3")?.value as Uint8Array);
    expect(top.header.scope).toBe("user:3");
    expect(top.size).toBe(10);
    expect(decodeCandidateList(byKey.get("catalog")?.value as Uint8Array).size).toBe(30);
    const profile = UserProfileSchema.parse(JSON.parse(byKey.get("profile:3")?.value as string));
    expect(profile.userId).toBe("3");
    expect([...summarize(entries).keys()]).toEqual([
      "cand:top-picks",
      "cand:because-you-watched",
      "profile",
      "cand:trending",
      "cand:popular",
      "catalog",
    ]);
    expect(summarize(entries).get("profile")?.keys).toBe(5);
  });
});

describe("readModelDir", () => {
  it("accepts a consistent model and canonicalises the manifest", async () => {
    const m = await readModelDir(await modelDir(BYTES));
    expect(m.manifest.version).toBe("test-1");
    expect(JSON.parse(m.manifestJson).inputs).toEqual([
      { name: "x", features: ["cf_score", "popularity"], broadcast: false },
    ]);
    expect(modelVersionEntries(m).map((e) => [e.key, e.kind])).toEqual([
      ["model:test-1:onnx", "model:onnx"],
      ["model:test-1:manifest", "model:manifest"],
    ]);
  });

  const bad: [string, (m: Record<string, unknown>) => void, (dir: string) => string][] = [
    [
      "a bad field",
      (m) => (m.opset = 3),
      (d) => `${d}/manifest.json: field "opset": Too small: expected number to be >=7`,
    ],
    [
      "an unknown feature",
      (m) => (m.inputs = [{ name: "x", features: ["shoe_size"] }]),
      (d) => `${d}/manifest.json: input "x" wants feature "shoe_size", which the edge does not compute`,
    ],
    [
      "a size mismatch",
      (m) => (m.sizeBytes = 301),
      (d) => `${d}/model.onnx: 300 bytes, but ${d}/manifest.json field "sizeBytes" says 301`,
    ],
    [
      "a hash mismatch",
      (m) => (m.sha256 = "0".repeat(64)),
      (d) => `${d}/model.onnx: sha256 ${"DIGEST"} does not match ${d}/manifest.json field "sha256" (${"0".repeat(64)})`,
    ],
  ];
  for (const [what, edit, message] of bad) {
    it(`rejects ${what}`, async () => {
      const dir = await modelDir(BYTES, edit);
      const expected = message(dir).replace("DIGEST", await sha256Hex(BYTES));
      await expect(readModelDir(dir)).rejects.toThrow(expected);
    });
  }

  it("names missing files and broken JSON", async () => {
    const dir = await modelDir(BYTES);
    rmSync(join(dir, "model.onnx"));
    await expect(readModelDir(dir)).rejects.toThrow(`${dir}/model.onnx: cannot read file (ENOENT)`);
    writeFileSync(join(dir, "manifest.json"), "{ nope");
    writeFileSync(join(dir, "model.onnx"), BYTES);
    await expect(readModelDir(dir)).rejects.toThrow(`${dir}/manifest.json: not valid JSON`);
  });
});

describe("versionEntriesToWrite", () => {
  const entries: KvEntry[] = [
    { key: "model:v:onnx", value: Uint8Array.from([1, 2, 3]), kind: "model:onnx" },
    { key: "model:v:manifest", value: '{"a":1}', kind: "model:manifest" },
  ];
  const store = (values: Record<string, Uint8Array>) => async (key: string) => values[key] ?? null;

  it("writes absent keys and skips identical ones", async () => {
    expect(await versionEntriesToWrite(entries, store({}))).toEqual(entries);
    const same = store({
      "model:v:onnx": Uint8Array.from([1, 2, 3]),
      "model:v:manifest": new TextEncoder().encode('{"a":1}'),
    });
    expect(await versionEntriesToWrite(entries, same)).toEqual([]);
  });

  it("refuses to overwrite a version with different bytes", async () => {
    await expect(versionEntriesToWrite(entries, store({ "model:v:onnx": Uint8Array.from([1, 2, 4]) }))).rejects.toThrow(
      "model:v:onnx already holds different bytes (3 stored, 3 new): model versions are immutable, publish this model under a new version",
    );
  });

  it("re-signs a stored manifest whose content is the same (an unsigned one, or one signed with an old key)", async () => {
    const signedNow = {
      key: "model:v:manifest",
      value: `{"a":1,"signature":"hmac-sha256:${"1".repeat(64)}"}`,
      kind: "model:manifest",
    } as const;
    const stored = store({
      "model:v:onnx": Uint8Array.from([1, 2, 3]),
      "model:v:manifest": new TextEncoder().encode('{"a":1}'),
    });
    expect(await versionEntriesToWrite([entries[0] as KvEntry, signedNow], stored)).toEqual([signedNow]);
    // Other content under the same version is still refused, signed or not.
    const changed = { ...signedNow, value: `{"a":2,"signature":"hmac-sha256:${"1".repeat(64)}"}` };
    await expect(versionEntriesToWrite([changed], stored)).rejects.toThrow(
      "model:v:manifest already holds different bytes",
    );
  });
});

describe("bulk files", () => {
  it("base64-encodes binary values only", () => {
    expect(toBulkItem({ key: "k", value: Uint8Array.from([255, 0, 1]), kind: "catalog" })).toEqual({
      key: "k",
      value: "/wAB",
      base64: true,
    });
    expect(toBulkItem({ key: "p", value: '{"x":1}', kind: "profile" })).toEqual({ key: "p", value: '{"x":1}' });
  });

  it("chunks by entry count and by bytes", () => {
    const items = Array.from({ length: 25_000 }, (_, i) => ({ key: `k${i}`, value: "v" }));
    expect(chunkBulk(items).map((c) => c.length)).toEqual([10_000, 10_000, 5_000]);
    const big = Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: "x".repeat(1000) }));
    expect(chunkBulk(big, 10_000, 2500).map((c) => c.length)).toEqual([2, 2, 1]);
    expect(chunkBulk([{ key: "huge", value: "x".repeat(5000) }], 10, 100)).toHaveLength(1);
  });

  it("points model:active at a version with its activation time", () => {
    expect(activeModelEntry("v7", new Date(Date.UTC(2026, 10, 2)))).toEqual({
      key: "model:active",
      value: '{"version":"v7","activatedAt":"2026-11-02T00:00:00.000Z"}',
      kind: "model:active",
    });
  });
});
