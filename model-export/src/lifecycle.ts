// Model versions in KV: immutable publish, per-region or global activation with history, instant rollback, listing.
// Pure (core imports only) so the CLI and the workerd tests run the very same steps against a store.
import {
  type ActiveModelPointer,
  keys,
  type ModelIndex,
  type ModelIndexEntry,
  type PointerHistoryEntry,
} from "../../core/keys.js";
import { type ModelManifest, ModelManifestSchema, sha256Hex } from "../../core/manifest.js";

/** Earlier activations kept per pointer: rollback can walk back this far. */
export const POINTER_HISTORY = 20;
/** Region ids as edge-config spells them. */
export const REGION_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** One KV write. `kind` is a label for summaries only. */
export interface StoreEntry {
  key: string;
  value: Uint8Array | string;
  kind: string;
}

/** What the lifecycle needs from a KV namespace; origin/src/kv-store.ts's KvStore fits it. */
export interface ModelStore {
  readonly description: string;
  get(key: string): Promise<Uint8Array | null>;
  putAll(entries: readonly StoreEntry[]): Promise<void>;
}

/** A refusal that leaves KV as it was: a bad request rather than a failure of the store. */
export class LifecycleError extends Error {
  override readonly name = "LifecycleError";
}

const utf8 = new TextEncoder();
const text = new TextDecoder();

async function readJson<T>(store: ModelStore, key: string): Promise<T | null> {
  const raw = await store.get(key);
  if (raw === null) return null;
  try {
    return JSON.parse(text.decode(raw)) as T;
  } catch (e) {
    throw new LifecycleError(`${key} in ${store.description} is not valid JSON (${(e as Error).message})`);
  }
}

/** The published-version index (empty when nothing was published with these tools yet). */
export async function readIndex(store: ModelStore): Promise<ModelIndex & { regions: string[] }> {
  const raw = await readJson<Partial<ModelIndex & { regions: string[] }>>(store, keys.modelIndex);
  return { versions: Array.isArray(raw?.versions) ? raw.versions : [], regions: raw?.regions ?? [] };
}

/** The pointer a scope reads: the region's own when `region` is given, else the global one. */
export function pointerKey(region?: string): string {
  if (region === undefined) return keys.activeModel;
  if (!REGION_PATTERN.test(region)) throw new LifecycleError(`region "${region}" is not a valid region id`);
  return keys.activeModelFor(region);
}

export function readPointer(store: ModelStore, region?: string): Promise<ActiveModelPointer | null> {
  return readJson<ActiveModelPointer>(store, pointerKey(region));
}

function numericMetrics(manifest: ModelManifest): Record<string, number> | undefined {
  const m = (manifest.training as { metrics?: unknown } | undefined)?.metrics;
  if (!m || typeof m !== "object") return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface PublishOutcome {
  version: string;
  /** Keys written now. */
  written: string[];
  /** Version keys found from an earlier, interrupted publish of the same bytes, left as they were. */
  resumed: string[];
}

/**
 * Publishes one version: ONNX bytes, then manifest, then the index entry that makes it visible to `activate`
 * and `list`. Refuses a version the index already lists, or whose keys hold other bytes: versions are
 * immutable. Never touches an activation pointer. The caller validates the artifact first.
 */
export async function publishVersion(
  store: ModelStore,
  bytes: Uint8Array,
  manifest: ModelManifest,
  opts: { now?: Date; source?: string } = {},
): Promise<PublishOutcome> {
  const v = manifest.version;
  const parsed = ModelManifestSchema.safeParse(manifest);
  if (!parsed.success) throw new LifecycleError(`manifest for ${v} does not match the manifest schema`);
  const sha = await sha256Hex(bytes);
  if (sha !== manifest.sha256 || bytes.length !== manifest.sizeBytes) {
    throw new LifecycleError(
      `model ${v}: bytes (${bytes.length} bytes, sha256 ${sha}) do not match the manifest (${manifest.sizeBytes} bytes, sha256 ${manifest.sha256})`,
    );
  }
  const index = await readIndex(store);
  const listed = index.versions.find((e) => e.version === v);
  if (listed) {
    throw new LifecycleError(
      `model ${v} is already published (sha256 ${listed.sha256.slice(0, 12)}..., ${listed.publishedAt}); versions are immutable, publish under a new --version`,
    );
  }
  const entries: StoreEntry[] = [
    { key: keys.modelBytes(v), value: bytes, kind: "model:onnx" },
    { key: keys.modelManifest(v), value: JSON.stringify(manifest), kind: "model:manifest" },
  ];
  const toWrite: StoreEntry[] = [];
  const resumed: string[] = [];
  for (const e of entries) {
    const existing = await store.get(e.key);
    const mine = typeof e.value === "string" ? utf8.encode(e.value) : e.value;
    if (existing === null) toWrite.push(e);
    else if (sameBytes(existing, mine)) resumed.push(e.key);
    else {
      throw new LifecycleError(
        `${e.key} already holds different bytes (${existing.length} stored, ${mine.length} new); versions are immutable, publish under a new --version`,
      );
    }
  }
  // Bytes before manifest before index: a reader that finds a later key always finds the earlier ones.
  for (const e of toWrite) await store.putAll([e]);
  const metrics = numericMetrics(manifest);
  const entry: ModelIndexEntry = {
    version: v,
    publishedAt: (opts.now ?? new Date()).toISOString(),
    sha256: manifest.sha256,
    sizeBytes: manifest.sizeBytes,
    ...(metrics ? { metrics } : {}),
    ...(opts.source ? { source: opts.source } : {}),
  };
  await store.putAll([
    {
      key: keys.modelIndex,
      value: JSON.stringify({ ...index, versions: [...index.versions, entry] }),
      kind: "model:versions",
    },
  ]);
  return { version: v, written: [...toWrite.map((e) => e.key), keys.modelIndex], resumed };
}

export interface PointerChange {
  key: string;
  from: string | null;
  to: string;
  /** False when the pointer already named the version (nothing written). */
  changed: boolean;
}

/**
 * Points the global pointer, or one region's, at a published version; the previous activation goes onto the
 * pointer's history so rollback needs no lookup. One KV write per call (plus the index when a region is new).
 */
export async function activateVersion(
  store: ModelStore,
  version: string,
  opts: { region?: string; now?: Date } = {},
): Promise<PointerChange> {
  const key = pointerKey(opts.region);
  const index = await readIndex(store);
  if (!index.versions.some((e) => e.version === version)) {
    const known = index.versions.map((e) => e.version);
    throw new LifecycleError(
      `model ${version} is not published in ${store.description}${known.length ? ` (published: ${known.join(", ")})` : " (nothing is published)"}`,
    );
  }
  if ((await store.get(keys.modelManifest(version))) === null || (await store.get(keys.modelBytes(version))) === null) {
    throw new LifecycleError(`model ${version} is listed but its bytes or manifest are missing; publish it again`);
  }
  const old = await readPointer(store, opts.region);
  if (old?.version === version) return { key, from: version, to: version, changed: false };
  const history: PointerHistoryEntry[] = old
    ? [{ version: old.version, activatedAt: old.activatedAt }, ...(old.history ?? [])].slice(0, POINTER_HISTORY)
    : [];
  const pointer: ActiveModelPointer = { version, activatedAt: (opts.now ?? new Date()).toISOString(), history };
  await store.putAll([{ key, value: JSON.stringify(pointer), kind: "model:active" }]);
  if (opts.region && !index.regions.includes(opts.region)) {
    await store.putAll([
      {
        key: keys.modelIndex,
        value: JSON.stringify({ ...index, regions: [...index.regions, opts.region].sort() }),
        kind: "model:versions",
      },
    ]);
  }
  return { key, from: old?.version ?? null, to: version, changed: true };
}

/** Points a pointer back at its previous activation, in one write; the undone activation is dropped. */
export async function rollbackPointer(
  store: ModelStore,
  opts: { region?: string; now?: Date } = {},
): Promise<PointerChange> {
  const key = pointerKey(opts.region);
  const where = opts.region ? `region ${opts.region}` : "the global pointer";
  const old = await readPointer(store, opts.region);
  if (!old) throw new LifecycleError(`${key}: ${where} has never been activated; nothing to roll back`);
  const [previous, ...rest] = old.history ?? [];
  if (!previous) {
    throw new LifecycleError(
      `${key}: ${where} has no earlier activation to roll back to (active: ${old.version}); activate a version instead`,
    );
  }
  const pointer: ActiveModelPointer = {
    version: previous.version,
    activatedAt: (opts.now ?? new Date()).toISOString(),
    history: rest,
  };
  await store.putAll([{ key, value: JSON.stringify(pointer), kind: "model:active" }]);
  return { key, from: old.version, to: previous.version, changed: true };
}

export interface ListedVersion extends ModelIndexEntry {
  /** "global" and/or region ids whose pointer names this version. */
  activeIn: string[];
}

export interface Listing {
  versions: ListedVersion[];
  global: ActiveModelPointer | null;
  regions: Record<string, ActiveModelPointer>;
}

/** Every published version with its metrics and where it is active. */
export async function listVersions(store: ModelStore): Promise<Listing> {
  const index = await readIndex(store);
  const global = await readPointer(store);
  const regions: Record<string, ActiveModelPointer> = {};
  for (const r of index.regions) {
    const p = await readPointer(store, r);
    if (p) regions[r] = p;
  }
  const versions = index.versions.map((e) => ({
    ...e,
    activeIn: [
      ...(global?.version === e.version ? ["global"] : []),
      ...Object.entries(regions)
        .filter(([, p]) => p.version === e.version)
        .map(([r]) => r),
    ],
  }));
  return { versions, global, regions };
}

/** A fixed-width text table of a listing, for the CLI. */
export function formatListing(l: Listing): string {
  if (l.versions.length === 0) return "no model versions published";
  const metric = (e: ListedVersion, k: string) =>
    e.metrics?.[k] !== undefined ? (e.metrics[k] as number).toFixed(4) : "-";
  const lines = [
    `${"version".padEnd(32)} ${"published".padEnd(24)} ${"size".padStart(8)} ${"NDCG@10".padStart(8)} ${"origin".padStart(8)}  active in`,
  ];
  for (const e of l.versions) {
    lines.push(
      `${e.version.padEnd(32)} ${e.publishedAt.padEnd(24)} ${String(e.sizeBytes).padStart(8)} ${metric(e, "ndcg10Model").padStart(8)} ${metric(e, "ndcg10OriginOrder").padStart(8)}  ${e.activeIn.join(", ") || "-"}`,
    );
  }
  return lines.join("\n");
}
