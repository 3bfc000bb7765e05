// Config operations behind the CLI: load the files, version, publish, roll back, diff and explain (no argv here).
import { readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { canonicalJson, signed, withoutSignature } from "../core/signature.js";
import type { EntryKind, KvEntry } from "../origin/src/kv-entries.js";
import type { KvStore } from "../origin/src/kv-store.js";
import { type ActiveConfigPointer, configContentVersion, configKeys } from "./keys.js";
import {
  assembleConfig,
  type EdgeConfig,
  EdgeConfigSchema,
  lineOfPath,
  type ResolvedPolicy,
  resolvePolicy,
} from "./schema.js";

/** The edge-config directory of this repository. */
export const CONFIG_DIR = fileURLToPath(new URL(".", import.meta.url));

/** Rollback keeps this many earlier versions in the pointer. */
export const HISTORY_LIMIT = 20;

export interface LoadedConfig {
  cfg: EdgeConfig;
  /** File texts by the name used in messages (e.g. edge-config/regions/eu-west.jsonc), for line numbers. */
  texts: Map<string, string>;
}

/** Reads defaults.jsonc and regions/*.jsonc under `dir` and assembles them (errors name file, line, key). */
export function loadConfigDir(dir: string = CONFIG_DIR): LoadedConfig {
  const name = (f: string) => join("edge-config", relative(dir, f));
  const defaultsFile = join(dir, "defaults.jsonc");
  const texts = new Map<string, string>();
  const defaults = { file: name(defaultsFile), text: readFileSync(defaultsFile, "utf8") };
  texts.set(defaults.file, defaults.text);
  const regionDir = join(dir, "regions");
  let regionNames: string[] = [];
  try {
    regionNames = readdirSync(regionDir).filter((f) => f.endsWith(".jsonc"));
  } catch {
    // No region files: every region runs the defaults.
  }
  const regionFiles = regionNames.sort().map((f) => {
    const path = join(regionDir, f);
    const file = name(path);
    const text = readFileSync(path, "utf8");
    texts.set(file, text);
    return { region: basename(f, ".jsonc"), file, text };
  });
  return { cfg: assembleConfig(defaults, regionFiles), texts };
}

/** The version a config publishes under: derived from its content, by the rule the edge re-checks (keys.ts). */
export function configVersion(cfg: EdgeConfig): Promise<string> {
  return configContentVersion(cfg);
}

/** A config string store: the KV namespace the worker reads, through the origin's publisher stores. */
export class ConfigKv {
  constructor(private readonly store: KvStore) {}
  get description(): string {
    return this.store.description;
  }
  async get(key: string): Promise<string | null> {
    const v = await this.store.get(key);
    return v === null ? null : new TextDecoder().decode(v);
  }
  async put(key: string, value: string): Promise<void> {
    // The entry kind only labels the publisher's summaries; config keys are plain JSON values.
    const entry: KvEntry = { key, value, kind: "config" as EntryKind };
    await this.store.putAll([entry]);
  }
  async pointer(): Promise<ActiveConfigPointer | null> {
    const raw = await this.get(configKeys.active);
    if (raw === null) return null;
    const p = JSON.parse(raw) as Partial<ActiveConfigPointer>;
    if (typeof p.version !== "string") throw new Error(`${configKeys.active}: no "version" in ${raw}`);
    return { version: p.version, activatedAt: p.activatedAt ?? "", history: p.history ?? [] };
  }
  /** A published version's document, checked (its signature, if any, set aside); null when absent. */
  async document(version: string): Promise<EdgeConfig | null> {
    const raw = await this.get(configKeys.version(version));
    if (raw === null) return null;
    const parsed = EdgeConfigSchema.safeParse(withoutSignature(JSON.parse(raw)));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${configKeys.version(version)}: ${issue?.path.join(".")}: ${issue?.message}`);
    }
    return parsed.data;
  }
  /** The active published config, or null when none is published. */
  async active(): Promise<EdgeConfig | null> {
    const p = await this.pointer();
    return p ? this.document(p.version) : null;
  }
}

export interface PublishResult {
  version: string;
  /** False when this exact content was already stored under its version (nothing rewritten). */
  wrote: boolean;
  /** False when it was already the active version. */
  activated: boolean;
  previous: string | null;
}

/**
 * Publishes a config: writes `config:<version>` if absent (an existing version is never overwritten; its
 * content must match), then points `config:active` at it. The version is written before the pointer, so the
 * pointer never names a half-written config. With `signingKey` (ARTIFACT_SIGNING_KEY) the document carries an
 * HMAC signature (core/signature.ts), which an edge holding the same key requires.
 */
export async function publishConfig(
  kv: ConfigKv,
  cfg: EdgeConfig,
  now = new Date(),
  signingKey?: string,
): Promise<PublishResult> {
  const version = await configVersion(cfg);
  const doc = { ...cfg, version };
  const toStore = signingKey ? await signed("edge-config", doc, signingKey) : doc;
  const text = JSON.stringify(toStore, null, 2);
  const existing = await kv.get(configKeys.version(version));
  let wrote = false;
  if (existing === null) {
    await kv.put(configKeys.version(version), text);
    wrote = true;
  } else {
    const stored = JSON.parse(existing) as { signature?: unknown };
    if (canonicalJson(withoutSignature(stored)) !== canonicalJson(doc)) {
      throw new Error(`${configKeys.version(version)} already exists with different content; refusing to overwrite`);
    }
    // Same content under another (or no) signature, e.g. after the signing key was rotated: the version stays,
    // its signature is renewed. Without a key an existing signature is left alone.
    if (signingKey && stored.signature !== (toStore as { signature?: string }).signature) {
      await kv.put(configKeys.version(version), text);
      wrote = true;
    }
  }
  const pointer = await kv.pointer();
  if (pointer?.version === version) return { version, wrote, activated: false, previous: pointer.version };
  const history = pointer ? [pointer.version, ...pointer.history.filter((v) => v !== version)] : [];
  const next: ActiveConfigPointer = {
    version,
    activatedAt: now.toISOString(),
    history: history.slice(0, HISTORY_LIMIT),
  };
  await kv.put(configKeys.active, JSON.stringify(next));
  return { version, wrote, activated: true, previous: pointer?.version ?? null };
}

/** Re-activates `to`, or the previously active version; the version must exist and be valid. */
export async function rollbackConfig(
  kv: ConfigKv,
  to: string | undefined,
  now = new Date(),
): Promise<{ from: string; to: string }> {
  const pointer = await kv.pointer();
  if (!pointer) throw new Error("nothing is published: no config:active to roll back");
  const target = to ?? pointer.history[0];
  if (!target) throw new Error(`no earlier version to roll back to (active: ${pointer.version})`);
  if (target === pointer.version) throw new Error(`${target} is already active`);
  const doc = await kv.document(target);
  if (!doc) throw new Error(`${configKeys.version(target)} does not exist`);
  const rest = pointer.history.filter((v) => v !== target);
  const history = to ? [pointer.version, ...rest] : rest;
  const next: ActiveConfigPointer = {
    version: target,
    activatedAt: now.toISOString(),
    history: history.slice(0, HISTORY_LIMIT),
  };
  await kv.put(configKeys.active, JSON.stringify(next));
  return { from: pointer.version, to: target };
}

/** One changed key of a diff. */
export interface Change {
  key: string;
  before: unknown;
  after: unknown;
}

function flatten(v: unknown, prefix: string, out: Map<string, unknown>): void {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (entries.length === 0 && prefix) out.set(prefix, {});
    for (const [k, x] of entries) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, v);
}

/**
 * What publishing `next` would change for `region`: the shared keys (defaults, rows, region mapping order)
 * and that region's own keys; other regions' keys are left out. The version label is ignored.
 */
export function diffConfigs(before: EdgeConfig | null, next: EdgeConfig, region: string): Change[] {
  if (!(region in next.regions)) {
    throw new Error(`unknown region "${region}" (regions: ${Object.keys(next.regions).join(", ")})`);
  }
  const scope = (cfg: EdgeConfig | null) => {
    const out = new Map<string, unknown>();
    if (!cfg) return out;
    flatten(
      {
        defaultRegion: cfg.defaultRegion,
        regionOrder: Object.keys(cfg.regions).join(","),
        policy: cfg.policy,
        rows: cfg.rows,
        regions: { [region]: cfg.regions[region] },
      },
      "",
      out,
    );
    return out;
  };
  const a = scope(before);
  const b = scope(next);
  const changes: Change[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key);
    const y = b.get(key);
    if (canonicalJson(x) !== canonicalJson(y)) changes.push({ key, before: x, after: y });
  }
  return changes.sort((p, q) => p.key.localeCompare(q.key));
}

/** Renders a diff: `~ key: old -> new`, `+ key: new`, `- key: old`. */
export function formatDiff(changes: readonly Change[]): string {
  if (changes.length === 0) return "no changes";
  return changes
    .map((c) =>
      c.before === undefined
        ? `+ ${c.key}: ${JSON.stringify(c.after)}`
        : c.after === undefined
          ? `- ${c.key}: ${JSON.stringify(c.before)}`
          : `~ ${c.key}: ${JSON.stringify(c.before)} -> ${JSON.stringify(c.after)}`,
    )
    .join("\n");
}

/**
 * Epoch ms of a moment given either with an offset/Z (absolute) or as local wall-clock time in `timeZone`
 * ("2026-12-24T20:00"). A local time skipped by a daylight-saving jump is an error; a repeated one resolves
 * to its first occurrence.
 */
export function parseMoment(text: string, timeZone: string): number {
  if (/(Z|[+-]\d\d:?\d\d)$/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isFinite(t)) throw new Error(`--at: not an ISO date-time: "${text}"`);
    return t;
  }
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?$/.exec(text);
  if (!m)
    throw new Error(`--at: expected YYYY-MM-DDTHH:MM (region local time) or an ISO time with offset, got "${text}"`);
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as number[];
  const wall = Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
  const fmt = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const wallOf = (t: number) => {
    const p = Object.fromEntries(fmt.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
    return Date.UTC(
      Number(p.year),
      Number(p.month) - 1,
      Number(p.day),
      Number(p.hour),
      Number(p.minute),
      Number(p.second),
    );
  };
  // Candidates: the wall time minus each offset the zone has around then; keep those that map back exactly.
  const offsets = new Set([
    wallOf(wall - 86_400_000) - (wall - 86_400_000),
    wallOf(wall + 86_400_000) - (wall + 86_400_000),
  ]);
  const hits = [...offsets]
    .map((o) => wall - o)
    .filter((t) => wallOf(t) === wall)
    .sort((p, q) => p - q);
  if (hits.length === 0)
    throw new Error(`--at: ${text} does not exist in ${timeZone} (skipped by a daylight-saving change)`);
  return hits[0] as number;
}

export interface ExplainedRow extends ResolvedPolicy {
  row: string;
}

/** The effective policy of each row of `region` at `at`, with the file, line and key that set each value. */
export function explain(loaded: LoadedConfig, region: string, rows: readonly string[], at: number): ExplainedRow[] {
  if (!(region in loaded.cfg.regions)) {
    throw new Error(`unknown region "${region}" (regions: ${Object.keys(loaded.cfg.regions).join(", ")})`);
  }
  return rows.map((row) => {
    const r = resolvePolicy(loaded.cfg, region, row, at);
    for (const src of Object.values(r.sources)) {
      const text = loaded.texts.get(src.file);
      const line = text ? lineOfPath(text, src.key.split(".")) : null;
      if (line !== null) src.file = `${src.file}:${line}`;
    }
    return { row, ...r };
  });
}

/** Renders explain output as aligned text. */
export function formatExplain(region: string, timeZone: string, at: number, rows: readonly ExplainedRow[]): string {
  const out = [`region ${region} (${timeZone}) at ${new Date(at).toISOString()}`];
  for (const r of rows) {
    out.push(
      "",
      `row ${r.row}: ${r.peak ? `PEAK profile (schedule ${r.schedule})` : "base profile (no peak schedule covers this moment)"}`,
    );
    const width = Math.max(...Object.keys(r.sources).map((k) => k.length));
    for (const [k, s] of Object.entries(r.sources).sort(([a], [b]) => a.localeCompare(b))) {
      out.push(`  ${k.padEnd(width)}  ${JSON.stringify(s.value).padEnd(14)}  ${s.file}  ${s.key}`);
    }
  }
  return out.join("\n");
}
