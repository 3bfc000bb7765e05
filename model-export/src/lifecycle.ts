// Model versions in KV: immutable publish, per-region or global activation with history, instant rollback, listing.
// Pure (core imports only) so the CLI and the workerd tests run the very same steps against a store.
//
// No shared mutable document: a version is its own two immutable keys (bytes, then manifest; the manifest is the
// commit point), a pointer is one key. `list` finds versions and regions by listing the `model:` prefix, so two
// engineers publishing at once cannot overwrite each other's entry (KV has no compare-and-swap). KV listings are
// eventually consistent (up to ~60 s on a real account); activate reads the version's keys directly instead.
import {
  type ActiveModelPointer,
  type KvListedKey,
  keys,
  type ModelIndex,
  type ModelIndexEntry,
  type PointerHistoryEntry,
  type PublishedVersionMeta,
  parseModelKey,
} from "../../core/keys.js";
import { type ModelManifest, ModelManifestSchema, sha256Hex } from "../../core/manifest.js";
import { signed } from "../../core/signature.js";

/** Earlier activations kept per pointer: rollback can walk back this far. */
export const POINTER_HISTORY = 20;
/** Region ids as edge-config spells them. */
export const REGION_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** Versions that cannot be published: `model:active:<x>` keys are region pointers. */
export const RESERVED_VERSIONS: readonly string[] = ["active"];
/** Workers KV's limit on a key's metadata, serialised. */
export const KV_METADATA_MAX_BYTES = 1024;

/** One KV write. `kind` is a label for summaries only; `metadata` is KV key metadata (returned by list). */
export interface StoreEntry {
  key: string;
  value: Uint8Array | string;
  kind: string;
  metadata?: Record<string, unknown>;
}

/** What the lifecycle needs from a KV namespace; origin/src/kv-store.ts's stores fit it. */
export interface ModelStore {
  readonly description: string;
  get(key: string): Promise<Uint8Array | null>;
  putAll(entries: readonly StoreEntry[]): Promise<void>;
  /**
   * Every key starting with `prefix`, in KV order (UTF-8 byte order), with its metadata: KV list semantics, all
   * cursor pages followed. Eventually consistent on a real account: a key written in the last ~60 s may be
   * missing, a deleted one may still show.
   */
  list(prefix: string): Promise<KvListedKey[]>;
  /** Removes a key (a no-op when it is absent). */
  delete(key: string): Promise<void>;
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

/**
 * The legacy index `model:versions` written by earlier tools (empty when absent). Read for backward
 * compatibility only: it adds publish times and regions of versions published before listing by prefix.
 */
export async function readIndex(store: ModelStore): Promise<ModelIndex & { regions: string[] }> {
  const raw = await readJson<Partial<ModelIndex & { regions: string[] }>>(store, keys.modelIndex);
  return {
    versions: Array.isArray(raw?.versions) ? raw.versions : [],
    regions: Array.isArray(raw?.regions) ? raw.regions : [],
  };
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

function reservedProblem(version: string): string | null {
  return RESERVED_VERSIONS.includes(version)
    ? `version "${version}" is reserved (model:${version}:<x> keys are the region pointers); publish under another --version`
    : null;
}

/** The KV metadata written with a version's manifest key: what `list` shows without reading the manifest. */
export function versionMeta(manifest: ModelManifest, publishedAt: Date, source?: string): PublishedVersionMeta {
  const base: PublishedVersionMeta = {
    publishedAt: publishedAt.toISOString(),
    sha256: manifest.sha256,
    sizeBytes: manifest.sizeBytes,
    ...(source ? { source } : {}),
  };
  const metrics = numericMetrics(manifest);
  if (!metrics) return base;
  const full = { ...base, metrics };
  return utf8.encode(JSON.stringify(full)).length <= KV_METADATA_MAX_BYTES
    ? full
    : { ...base, metricsInManifest: true };
}

/**
 * Publishes one version: ONNX bytes, then the manifest (with the version's listing metadata), each under the
 * version's own keys. The manifest key is the commit point: once it exists the version is published, listed and
 * activatable; before, an interrupted publish is invisible and publishing again resumes it. Nothing shared is
 * read-modified-written, so concurrent publishes of different versions cannot lose each other. Refuses a version
 * whose manifest exists, or whose bytes key holds other bytes: versions are immutable. Never touches an
 * activation pointer. The caller validates the artifact first.
 */
export async function publishVersion(
  store: ModelStore,
  bytes: Uint8Array,
  manifest: ModelManifest,
  opts: { now?: Date; source?: string; signingKey?: string } = {},
): Promise<PublishOutcome> {
  const v = manifest.version;
  const parsed = ModelManifestSchema.safeParse(manifest);
  if (!parsed.success) throw new LifecycleError(`manifest for ${v} does not match the manifest schema`);
  const reserved = reservedProblem(v);
  if (reserved) throw new LifecycleError(`model ${v}: ${reserved}`);
  const sha = await sha256Hex(bytes);
  if (sha !== manifest.sha256 || bytes.length !== manifest.sizeBytes) {
    throw new LifecycleError(
      `model ${v}: bytes (${bytes.length} bytes, sha256 ${sha}) do not match the manifest (${manifest.sizeBytes} bytes, sha256 ${manifest.sha256})`,
    );
  }
  const published = await readJson<Partial<ModelManifest>>(store, keys.modelManifest(v));
  if (published) {
    throw new LifecycleError(
      `model ${v} is already published (sha256 ${String(published.sha256).slice(0, 12)}..., created ${published.createdAt}); versions are immutable, publish under a new --version`,
    );
  }
  const resumed: string[] = [];
  const written: string[] = [];
  const existing = await store.get(keys.modelBytes(v));
  if (existing !== null && !sameBytes(existing, bytes)) {
    throw new LifecycleError(
      `${keys.modelBytes(v)} already holds different bytes (${existing.length} stored, ${bytes.length} new); versions are immutable, publish under a new --version`,
    );
  }
  // Bytes before manifest: a reader that finds the manifest always finds the bytes.
  if (existing === null) {
    await store.putAll([{ key: keys.modelBytes(v), value: bytes, kind: "model:onnx" }]);
    written.push(keys.modelBytes(v));
  } else resumed.push(keys.modelBytes(v));
  const meta = versionMeta(manifest, opts.now ?? new Date(), opts.source);
  await store.putAll([
    {
      key: keys.modelManifest(v),
      // Signed over the manifest as stored (core/signature.ts): it carries the bytes' sha256, so it covers them too.
      value: JSON.stringify(opts.signingKey ? await signed("model-manifest", manifest, opts.signingKey) : manifest),
      kind: "model:manifest",
      metadata: meta as unknown as Record<string, unknown>,
    },
  ]);
  written.push(keys.modelManifest(v));
  return { version: v, written, resumed };
}

export interface PointerChange {
  key: string;
  from: string | null;
  /** The version the pointer names now; for a removed regional pointer, `follows global (<version>)`. */
  to: string;
  /** False when the pointer already named the version (nothing written). */
  changed: boolean;
}

/** Names of published versions, for error hints: listed manifest keys plus the legacy index (best effort). */
async function publishedNames(store: ModelStore): Promise<string[]> {
  try {
    const names = new Set<string>();
    let index = false;
    for (const k of await store.list(keys.modelPrefix)) {
      const p = parseModelKey(k.name);
      if (p?.kind === "manifest") names.add(p.version);
      if (p?.kind === "index") index = true;
    }
    if (index) for (const e of (await readIndex(store)).versions) names.add(e.version);
    return [...names].sort();
  } catch {
    return [];
  }
}

/**
 * Points the global pointer, or one region's, at a published version; the previous activation goes onto the
 * pointer's history so rollback needs no lookup. The version is checked by reading its own keys (not a listing,
 * which may lag): its manifest must parse and its bytes must match the manifest's size and sha256. One KV write.
 */
export async function activateVersion(
  store: ModelStore,
  version: string,
  opts: { region?: string; now?: Date } = {},
): Promise<PointerChange> {
  const key = pointerKey(opts.region);
  const manifestRaw = reservedProblem(version) ? null : await readJson<unknown>(store, keys.modelManifest(version));
  if (manifestRaw === null) {
    const known = await publishedNames(store);
    throw new LifecycleError(
      `model ${version} is not published in ${store.description}${known.length ? ` (published: ${known.join(", ")})` : " (nothing is published)"}`,
    );
  }
  const manifest = ModelManifestSchema.safeParse(manifestRaw);
  if (!manifest.success) {
    throw new LifecycleError(`${keys.modelManifest(version)} in ${store.description} is not a valid manifest`);
  }
  const bytes = await store.get(keys.modelBytes(version));
  if (bytes === null) {
    throw new LifecycleError(`model ${version} has a manifest but its bytes are missing; publish it again`);
  }
  const sha = await sha256Hex(bytes);
  if (sha !== manifest.data.sha256 || bytes.length !== manifest.data.sizeBytes) {
    throw new LifecycleError(
      `model ${version}: stored bytes (${bytes.length} bytes, sha256 ${sha}) do not match its manifest (${manifest.data.sizeBytes} bytes, sha256 ${manifest.data.sha256}); not activated`,
    );
  }
  const old = await readPointer(store, opts.region);
  if (old?.version === version) return { key, from: version, to: version, changed: false };
  const history: PointerHistoryEntry[] = old
    ? [{ version: old.version, activatedAt: old.activatedAt }, ...(old.history ?? [])].slice(0, POINTER_HISTORY)
    : [];
  const pointer: ActiveModelPointer = { version, activatedAt: (opts.now ?? new Date()).toISOString(), history };
  await store.putAll([{ key, value: JSON.stringify(pointer), kind: "model:active" }]);
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
  if (!previous && opts.region) {
    // A region's first activation is an override of the global pointer: undoing it removes the override.
    await store.delete(key);
    const global = await readPointer(store);
    return { key, from: old.version, to: `follows global (${global?.version ?? "none"})`, changed: true };
  }
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

export interface ListedVersion extends Omit<ModelIndexEntry, "publishedAt"> {
  /** Null for a version written without publish metadata (e.g. by the origin publisher or by hand). */
  publishedAt: string | null;
  /** "global" and/or region ids whose pointer names this version. */
  activeIn: string[];
}

export interface Listing {
  versions: ListedVersion[];
  global: ActiveModelPointer | null;
  regions: Record<string, ActiveModelPointer>;
}

function metaOf(raw: unknown): PublishedVersionMeta | null {
  if (!raw || typeof raw !== "object") return null;
  const m = raw as Partial<PublishedVersionMeta>;
  if (typeof m.publishedAt !== "string" || typeof m.sha256 !== "string" || typeof m.sizeBytes !== "number") {
    return null;
  }
  return m as PublishedVersionMeta;
}

async function manifestOf(store: ModelStore, version: string): Promise<ModelManifest | null> {
  const raw = await readJson<unknown>(store, keys.modelManifest(version));
  if (raw === null) return null;
  const parsed = ModelManifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new LifecycleError(`${keys.modelManifest(version)} in ${store.description} is not a valid manifest`);
  }
  return parsed.data;
}

function fromManifest(m: ModelManifest, publishedAt: string | null): Omit<ListedVersion, "activeIn"> {
  const metrics = numericMetrics(m);
  const source = (m.training as { source?: unknown } | undefined)?.source;
  return {
    version: m.version,
    publishedAt,
    sha256: m.sha256,
    sizeBytes: m.sizeBytes,
    ...(metrics ? { metrics } : {}),
    ...(typeof source === "string" ? { source } : {}),
  };
}

/**
 * Every published version with its metrics and where it is active, from one listing of the `model:` prefix:
 * manifest keys are the versions (their KV metadata the listing row; versions without it, e.g. written by the
 * origin publisher, are read), `model:active:<region>` keys the regions. A legacy `model:versions` index is
 * merged when present. Eventually consistent: a version or region written in the last ~60 s may be missing.
 */
export async function listVersions(store: ModelStore): Promise<Listing> {
  const listed = await store.list(keys.modelPrefix);
  const manifests = new Map<string, unknown>();
  const regionIds = new Set<string>();
  let hasIndex = false;
  for (const k of listed) {
    const p = parseModelKey(k.name);
    if (p?.kind === "manifest" && !RESERVED_VERSIONS.includes(p.version)) manifests.set(p.version, k.metadata);
    else if (p?.kind === "pointer" && p.region !== null && REGION_PATTERN.test(p.region)) regionIds.add(p.region);
    else if (p?.kind === "index") hasIndex = true;
  }
  const legacy = hasIndex ? await readIndex(store) : { versions: [], regions: [] };
  const legacyByVersion = new Map(legacy.versions.map((e) => [e.version, e]));
  for (const r of legacy.regions) if (REGION_PATTERN.test(r)) regionIds.add(r);

  const entries: Omit<ListedVersion, "activeIn">[] = [];
  for (const [version, raw] of manifests) {
    const meta = metaOf(raw);
    if (meta) {
      const full = meta.metricsInManifest ? await manifestOf(store, version) : null;
      const metrics = full ? numericMetrics(full) : meta.metrics;
      entries.push({
        version,
        publishedAt: meta.publishedAt,
        sha256: meta.sha256,
        sizeBytes: meta.sizeBytes,
        ...(metrics ? { metrics } : {}),
        ...(typeof meta.source === "string" ? { source: meta.source } : {}),
      });
      continue;
    }
    const old = legacyByVersion.get(version);
    if (old) {
      entries.push({ ...old });
      continue;
    }
    const m = await manifestOf(store, version);
    if (m) entries.push(fromManifest(m, null));
  }
  // A legacy entry whose manifest key the listing does not show yet: trust the manifest key itself.
  for (const old of legacy.versions) {
    if (manifests.has(old.version)) continue;
    if ((await store.get(keys.modelManifest(old.version))) !== null) entries.push({ ...old });
  }
  entries.sort(
    (a, b) =>
      (a.publishedAt ?? "").localeCompare(b.publishedAt ?? "") ||
      (a.version < b.version ? -1 : a.version > b.version ? 1 : 0),
  );

  const global = await readPointer(store);
  const regions: Record<string, ActiveModelPointer> = {};
  for (const r of [...regionIds].sort()) {
    const p = await readPointer(store, r);
    if (p) regions[r] = p;
  }
  const versions = entries.map((e) => ({
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
      `${e.version.padEnd(32)} ${(e.publishedAt ?? "-").padEnd(24)} ${String(e.sizeBytes).padStart(8)} ${metric(e, "ndcg10Model").padStart(8)} ${metric(e, "ndcg10OriginOrder").padStart(8)}  ${e.activeIn.join(", ") || "-"}`,
    );
  }
  return lines.join("\n");
}
