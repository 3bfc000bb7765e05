// Config CLI: versions are immutable, activation and rollback move one pointer, diff and explain say exactly what changes.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SIGNATURE_PATTERN, signatureProblem } from "../core/signature.js";
import type { KvEntry } from "../origin/src/kv-entries.js";
import type { KvStore } from "../origin/src/kv-store.js";
import { run } from "./cli.js";
import { configContentVersion, configKeys } from "./keys.js";
import {
  CONFIG_DIR,
  ConfigKv,
  configVersion,
  diffConfigs,
  explain,
  formatDiff,
  loadConfigDir,
  parseMoment,
  publishConfig,
  rollbackConfig,
} from "./publish.js";

/** A KV namespace in memory, recording every write. */
function memoryStore(): KvStore & { data: Map<string, Uint8Array | string>; writes: string[] } {
  const data = new Map<string, Uint8Array | string>();
  const writes: string[] = [];
  return {
    description: "memory",
    data,
    writes,
    async get(key) {
      const v = data.get(key);
      return v === undefined ? null : typeof v === "string" ? new TextEncoder().encode(v) : v;
    },
    async putAll(entries: readonly KvEntry[]) {
      for (const e of entries) {
        data.set(e.key, e.value);
        writes.push(e.key);
      }
    },
    close: async () => {},
  };
}

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});
function copyOfConfigDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "frontrow-config-"));
  tmp.push(dir);
  cpSync(CONFIG_DIR, dir, { recursive: true, filter: (src) => !src.endsWith(".ts") });
  return dir;
}
function edit(dir: string, file: string, from: string, to: string): void {
  const p = join(dir, file);
  const t = readFileSync(p, "utf8");
  if (!t.includes(from)) throw new Error(`${file} lacks ${from}`);
  writeFileSync(p, t.replace(from, to));
}

describe("signed publishing", () => {
  it("with ARTIFACT_SIGNING_KEY the stored document carries a signature the edge verifies; the version is unchanged", async () => {
    const store = memoryStore();
    const kv = new ConfigKv(store);
    const { cfg } = loadConfigDir();
    const r = await publishConfig(kv, cfg, new Date("2026-11-25T10:00:00Z"), "signing-key-1");
    const stored = JSON.parse((await kv.get(configKeys.version(r.version))) as string);
    expect(r.version).toBe(await configVersion(cfg));
    expect(stored.signature).toMatch(SIGNATURE_PATTERN);
    expect(await signatureProblem("edge-config", stored, "signing-key-1")).toBeNull();
    expect(await signatureProblem("edge-config", stored, "another-key")).toMatch(/^signature mismatch/);
    // The edge's own (WebCrypto) version formula gives the publisher's (node:crypto) version.
    expect(await configContentVersion(stored)).toBe(r.version);
    // Reading it back (status, rollback, diff) sets the signature aside.
    expect((await kv.document(r.version))?.version).toBe(r.version);
    // The same content again: with the same key, or with none, nothing is rewritten (the signature stays).
    expect((await publishConfig(kv, cfg, new Date(), "signing-key-1")).wrote).toBe(false);
    expect((await publishConfig(kv, cfg, new Date())).wrote).toBe(false);
    expect(
      await signatureProblem(
        "edge-config",
        JSON.parse((await kv.get(configKeys.version(r.version))) as string),
        "signing-key-1",
      ),
    ).toBeNull();
    // After a key rotation, publishing renews the signature under the same version.
    expect((await publishConfig(kv, cfg, new Date(), "signing-key-2")).wrote).toBe(true);
    const renewed = JSON.parse((await kv.get(configKeys.version(r.version))) as string);
    expect(await signatureProblem("edge-config", renewed, "signing-key-2")).toBeNull();
  });

  it("without a key the document is unsigned", async () => {
    const kv = new ConfigKv(memoryStore());
    const r = await publishConfig(kv, loadConfigDir().cfg);
    expect(JSON.parse((await kv.get(configKeys.version(r.version))) as string).signature).toBeUndefined();
  });
});

describe("publish and rollback", () => {
  it("stores a version once, activates it, and never overwrites it", async () => {
    const store = memoryStore();
    const kv = new ConfigKv(store);
    const { cfg } = loadConfigDir();
    const v1 = await configVersion(cfg);
    expect(v1).toMatch(/^cfg-[0-9a-f]{12}$/);
    expect(await publishConfig(kv, cfg, new Date("2026-11-25T10:00:00Z"))).toEqual({
      version: v1,
      wrote: true,
      activated: true,
      previous: null,
    });
    expect(store.writes).toEqual([configKeys.version(v1), configKeys.active]);
    const doc = JSON.parse(store.data.get(configKeys.version(v1)) as string);
    expect(doc.version).toBe(v1);
    expect(JSON.parse(store.data.get(configKeys.active) as string)).toEqual({
      version: v1,
      activatedAt: "2026-11-25T10:00:00.000Z",
      history: [],
    });
    // Publishing the same content again writes nothing.
    expect(await publishConfig(kv, cfg)).toMatchObject({ version: v1, wrote: false, activated: false });
    expect(store.writes).toHaveLength(2);
    // A tampered stored version is refused, not overwritten.
    store.data.set(configKeys.version(v1), JSON.stringify({ ...doc, defaultRegion: "us-east" }));
    store.data.delete(configKeys.active);
    await expect(publishConfig(kv, cfg)).rejects.toThrow(`config:${v1} already exists with different content`);
  });

  it("rolls back to the previous version, or a named one", async () => {
    const kv = new ConfigKv(memoryStore());
    const dir = copyOfConfigDir();
    const a = loadConfigDir(dir).cfg;
    edit(dir, "regions/eu-west.jsonc", '"start": "19:00", "end": "23:00"', '"start": "18:00", "end": "23:00"');
    const b = loadConfigDir(dir).cfg;
    edit(dir, "defaults.jsonc", '"freshSeconds": 300', '"freshSeconds": 240');
    const c = loadConfigDir(dir).cfg;
    const [va, vb, vc] = [await configVersion(a), await configVersion(b), await configVersion(c)];
    expect(new Set([va, vb, vc]).size).toBe(3);
    await publishConfig(kv, a);
    await publishConfig(kv, b);
    await publishConfig(kv, c);
    expect(await kv.pointer()).toMatchObject({ version: vc, history: [vb, va] });
    expect(await rollbackConfig(kv, undefined)).toEqual({ from: vc, to: vb });
    expect(await kv.pointer()).toMatchObject({ version: vb, history: [va] });
    expect(await rollbackConfig(kv, vc)).toEqual({ from: vb, to: vc });
    expect(await kv.pointer()).toMatchObject({ version: vc, history: [vb, va] });
    await expect(rollbackConfig(kv, "cfg-000000000000")).rejects.toThrow("config:cfg-000000000000 does not exist");
    await expect(rollbackConfig(new ConfigKv(memoryStore()), undefined)).rejects.toThrow("nothing is published");
  });
});

describe("diff", () => {
  it("lists the changed keys of the region and the shared keys only", () => {
    const dir = copyOfConfigDir();
    const before = loadConfigDir(dir).cfg;
    edit(dir, "regions/eu-west.jsonc", '"freshSeconds": 1200', '"freshSeconds": 1800');
    edit(dir, "regions/us-east.jsonc", '"candidateDepth": 300', '"candidateDepth": 200');
    const after = loadConfigDir(dir).cfg;
    expect(formatDiff(diffConfigs(before, after, "eu-west"))).toBe(
      "~ regions.eu-west.peak.policy.freshSeconds: 1200 -> 1800",
    );
    expect(formatDiff(diffConfigs(before, after, "us-east"))).toBe(
      "~ regions.us-east.peak.policy.candidateDepth: 300 -> 200",
    );
    expect(formatDiff(diffConfigs(after, after, "eu-west"))).toBe("no changes");
    expect(() => diffConfigs(before, after, "mars")).toThrow('unknown region "mars"');
  });
});

describe("explain", () => {
  it("reads --at as the region's local time, DST included", () => {
    expect(parseMoment("2026-12-24T20:00", "Europe/Paris")).toBe(Date.parse("2026-12-24T19:00:00Z"));
    expect(parseMoment("2026-07-24T20:00", "Europe/Paris")).toBe(Date.parse("2026-07-24T18:00:00Z"));
    expect(parseMoment("2026-12-24T20:00Z", "Europe/Paris")).toBe(Date.parse("2026-12-24T20:00:00Z"));
    expect(parseMoment("2026-11-01T01:30", "America/New_York")).toBe(Date.parse("2026-11-01T05:30:00Z")); // first 01:30
    expect(() => parseMoment("2026-03-29T02:30", "Europe/Paris")).toThrow("does not exist in Europe/Paris");
    expect(() => parseMoment("24/12/2026", "Europe/Paris")).toThrow("--at: expected YYYY-MM-DDTHH:MM");
  });
  it("names the file, line and key of each value", () => {
    const loaded = loadConfigDir();
    const [row] = explain(loaded, "eu-west", ["trending"], parseMoment("2026-12-24T20:00", "Europe/Paris"));
    const euText = loaded.texts.get("edge-config/regions/eu-west.jsonc") as string;
    const peakLine = euText.slice(0, euText.indexOf('"freshSeconds": 1200')).split("\n").length;
    expect(row?.peak).toBe(true);
    expect(row?.sources.freshSeconds).toEqual({
      file: `edge-config/regions/eu-west.jsonc:${peakLine}`,
      key: "peak.policy.freshSeconds",
      value: 1200,
    });
    const defText = loaded.texts.get("edge-config/defaults.jsonc") as string;
    const jitterLine = defText.slice(0, defText.indexOf('"ttlJitterPercent"')).split("\n").length;
    expect(row?.sources.ttlJitterPercent?.file).toBe(`edge-config/defaults.jsonc:${jitterLine}`);
    const [off] = explain(loaded, "eu-west", ["trending"], parseMoment("2026-12-24T12:00", "Europe/Paris"));
    expect(off?.sources.freshSeconds).toMatchObject({ key: "rows.trending.freshSeconds", value: 120 });
  });
});

describe("npm run config", () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, log: (s: string) => out.push(s), error: (s: string) => err.push(s) };
  };
  it("validate names the file, line and key of a bad value", async () => {
    const dir = copyOfConfigDir();
    edit(dir, "regions/ap-southeast.jsonc", '"originRetries": 0', '"originRetries": 9');
    const c = capture();
    expect(await run(["validate", "--dir", dir], c.log, c.error)).toBe(1);
    expect(c.err[0]).toBe(
      "config validate: edge-config/regions/ap-southeast.jsonc:5: policy.originRetries: Too big: expected number to be <=3",
    );
    const ok = capture();
    expect(await run(["validate"], ok.log, ok.error)).toBe(0);
    expect(ok.out[0]).toMatch(/^ok: 5 files, 4 regions \(4 with peak schedules\); would publish as cfg-[0-9a-f]{12}$/);
  });
  it("rejects an unknown command and a bad --row with usage", async () => {
    const c = capture();
    expect(await run(["deploy"], c.log, c.error)).toBe(2);
    expect(c.err[0]).toMatch(
      /^config: expected one command of validate, diff, publish, rollback, explain, status, got deploy\n/,
    );
    expect(
      await run(["explain", "--region", "eu-west", "--at", "2026-12-24T20:00", "--row", "x"], c.log, c.error),
    ).toBe(2);
  });
  it("publishes to local KV (wrangler state), diffs against it and rolls back", async () => {
    const persist = mkdtempSync(join(tmpdir(), "frontrow-kv-"));
    tmp.push(persist);
    const dir = copyOfConfigDir();
    const kvArgs = ["--local", "--persist-to", persist, "--dir", dir];
    const c = capture();
    expect(await run(["publish", ...kvArgs], c.log, c.error)).toBe(0);
    const v1 = await configVersion(loadConfigDir(dir).cfg);
    expect(c.out.at(-1)).toBe(`local KV (${persist}): stored config:${v1}; active now (was none)`);
    edit(dir, "regions/eu-west.jsonc", '"kvCacheTtlSeconds": 300', '"kvCacheTtlSeconds": 600');
    expect(await run(["diff", "--region", "eu-west", ...kvArgs], c.log, c.error)).toBe(0);
    expect(c.out.at(-1)).toBe("~ regions.eu-west.peak.policy.kvCacheTtlSeconds: 300 -> 600");
    expect(await run(["publish", ...kvArgs], c.log, c.error)).toBe(0);
    const v2 = await configVersion(loadConfigDir(dir).cfg);
    expect(await run(["rollback", ...kvArgs], c.log, c.error)).toBe(0);
    expect(c.out.at(-1)).toBe(`local KV (${persist}): active config ${v2} -> ${v1}`);
    expect(c.err).toEqual([]);
  }, 30_000);
});
