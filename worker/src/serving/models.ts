// The isolate's models: follows the global and per-region activation pointers, verifies before switching, keeps the last good one.
import { type ActiveModelPointer, keys, POINTER_REFRESH_MS, POINTER_RETRY_MS } from "../../../core/keys.js";
import { type ModelManifest, ModelManifestSchema, sha256Hex } from "../../../core/manifest.js";
import type { Ranker } from "../../../core/ranker.js";
import { signatureProblem } from "../../../core/signature.js";
import { isPreloaded } from "../model/onnx-ranker.js";

/**
 * One line for a model problem: `model <version>: <reason>: <detail>`. Loader and ranker errors may carry a
 * stable `reason` code and may already name the model; neither is repeated.
 */
export function describeModelError(version: string | null, err: unknown): string {
  const prefix = `model ${version ?? "?"}: `;
  const e = err as { message?: unknown; reason?: unknown };
  let detail = typeof e?.message === "string" ? e.message : String(err);
  if (detail.startsWith(prefix)) detail = detail.slice(prefix.length);
  const reason = typeof e?.reason === "string" ? `${e.reason.replace(/-/g, " ")}: ` : "";
  return `${prefix}${reason}${detail}`;
}

/** Turns verified-or-not bytes and a manifest into a ranker; throws with the reason it cannot. */
export type ModelLoader = (bytes: Uint8Array, manifest: ModelManifest) => Promise<Ranker>;

export interface ModelState {
  ranker: Ranker | null;
  /** Why there is no ranker, or why the active pointer's version is not the one serving. */
  problem: string | null;
}

export interface ModelRegistryOptions {
  /** How often the activation pointers are re-read. */
  refreshMs: number;
  /** How long a version that failed to load is left alone before trying again. */
  retryFailedMs: number;
  /** How soon the pointers are read again after a KV error read them (default POINTER_RETRY_MS). */
  retryUnreadableMs?: number;
  /**
   * Loaded versions kept per isolate (default 3): the ones serving somewhere plus recent ones, so a rollback
   * or a region on an older version needs no reload. Versions serving a scope are never dropped.
   */
  maxLoaded?: number;
  /** Frees a dropped ranker (default: its release(), except rankers preloadModel() shares). */
  release?: (ranker: Ranker) => Promise<void>;
}

/** How a request asks: the region whose pointer applies (none: the global pointer), and the clock. */
export interface ModelRequest {
  region?: string | undefined;
  /** A version the region's edge policy pins (`modelVersion`): served instead of the pointers' version. */
  pin?: string | null | undefined;
  now?: number;
  /**
   * The ARTIFACT_SIGNING_KEY secret: when set, a manifest must carry a valid signature to load. Given with each
   * request (it comes from the request's env); a call that does not name it keeps the last one given.
   */
  signingKey?: string | undefined;
}

interface Failure {
  version: string;
  reason: string;
  at: number;
}

/** What one pointer scope (the global one, or a region's) serves. */
interface Scope {
  current: Ranker | null;
  failure: Failure | null;
}

const GLOBAL = "";

async function defaultRelease(ranker: Ranker): Promise<void> {
  if (isPreloaded(ranker)) return;
  const r = ranker as Ranker & { release?: () => Promise<void> };
  await r.release?.();
}

/**
 * One per isolate. A request from a region follows `model:active:<region>` when that pointer exists, else
 * `model:active`. The first request of a scope waits for its model; later pointer changes load in the
 * background and swap in only once their bytes match the manifest's checksum and the loader accepted them,
 * so a bad publish never replaces a good model. Up to `maxLoaded` versions stay loaded, so rollback and
 * regions on different versions cost no reload.
 */
export class ModelRegistry {
  private readonly scopes = new Map<string, Scope>();
  private readonly loaded = new Map<string, { ranker: Ranker; usedAt: number }>();
  private readonly failures = new Map<string, Failure>();
  private checkedAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | null = null;
  private readonly opts: Required<ModelRegistryOptions>;
  private signingKey: string | undefined;

  constructor(
    private readonly load: ModelLoader,
    opts: ModelRegistryOptions = { refreshMs: POINTER_REFRESH_MS, retryFailedMs: 60_000 },
  ) {
    this.opts = { maxLoaded: 3, release: defaultRelease, retryUnreadableMs: POINTER_RETRY_MS, ...opts };
    // Every refresh resolves the global pointer, which regions without their own fall back to.
    this.scopes.set(GLOBAL, { current: null, failure: null });
  }

  /**
   * The ranker to use now for a request (`at` is the region and clock, or just the clock). Never throws:
   * problems come back as `problem`.
   */
  async get(
    kv: KVNamespace,
    waitUntil: (p: Promise<unknown>) => void,
    at: number | ModelRequest = {},
  ): Promise<ModelState> {
    const req = typeof at === "number" ? { now: at } : at;
    if ("signingKey" in req) this.signingKey = req.signingKey || undefined;
    const now = req.now ?? Date.now();
    const key = req.region ?? GLOBAL;
    let scope = this.scopes.get(key);
    const isNew = !scope;
    if (!scope) {
      scope = { current: null, failure: null };
      this.scopes.set(key, scope);
    }
    if (isNew || now - this.checkedAt >= this.opts.refreshMs) {
      this.checkedAt = now;
      // A new region must be read even if a refresh that did not know it is already running.
      const p = isNew || !this.inflight ? this.schedule(kv, now) : this.inflight;
      if (scope.current) waitUntil(p);
      else await p;
    } else if (!scope.current && this.inflight) {
      await this.inflight;
    }
    if (req.pin && req.pin !== scope.current?.version) return this.pinned(kv, waitUntil, req.pin, scope, now);
    return { ranker: scope.current, problem: problemOf(scope) };
  }

  /**
   * Serves a pinned version: loaded on first use (in the background when the scope already has a model), and
   * a pin that cannot load falls back to the pointers' model with the reason, like any bad version.
   */
  private async pinned(
    kv: KVNamespace,
    waitUntil: (p: Promise<unknown>) => void,
    pin: string,
    scope: Scope,
    now: number,
  ): Promise<ModelState> {
    let entry = this.loaded.get(pin);
    if (!entry) {
      const loading = this.obtain(kv, pin, now).then(() => this.evict());
      if (scope.current) waitUntil(loading);
      else await loading;
      entry = this.loaded.get(pin);
    }
    if (entry) {
      entry.usedAt = now;
      return { ranker: entry.ranker, problem: null };
    }
    const failed = this.failures.get(pin);
    const why = failed
      ? `model ${pin} (pinned by the edge policy): ${failed.reason}`
      : `model ${pin} (pinned by the edge policy): loading`;
    return { ranker: scope.current, problem: why };
  }

  /** What /healthz reports: the global scope, or a region's. */
  status(region?: string): { version: string | null; engine: string | null; problem: string | null } {
    const scope = this.scopes.get(region ?? GLOBAL);
    const failure = scope?.failure;
    return {
      version: scope?.current?.version ?? null,
      engine: scope?.current?.engine ?? null,
      problem: failure ? `model ${failure.version}: ${failure.reason}` : null,
    };
  }

  /** Versions loaded in this isolate (for tests and diagnostics). */
  loadedVersions(): string[] {
    return [...this.loaded.keys()];
  }

  private schedule(kv: KVNamespace, now: number): Promise<void> {
    const run = () => this.refresh(kv, now);
    const p: Promise<void> = (this.inflight ? this.inflight.then(run) : run()).finally(() => {
      if (this.inflight === p) this.inflight = null;
    });
    this.inflight = p;
    return p;
  }

  private async refresh(kv: KVNamespace, now: number): Promise<void> {
    const regions = [...this.scopes.keys()].filter((k) => k !== GLOBAL);
    let pointers: (ActiveModelPointer | null)[];
    try {
      pointers = await Promise.all([
        readPointer(kv, keys.activeModel),
        ...regions.map((r) => readPointer(kv, keys.activeModelFor(r))),
      ]);
    } catch (e) {
      for (const scope of this.scopes.values()) {
        scope.failure = { version: "?", reason: `activation pointer unreadable (${(e as Error).message})`, at: now };
      }
      warn("?", `activation pointer unreadable (${(e as Error).message})`);
      // A KV error is transient: look again soon instead of a whole refresh interval later.
      this.checkedAt = Math.min(this.checkedAt, now - this.opts.refreshMs + this.opts.retryUnreadableMs);
      return;
    }
    const global = versionOf(pointers[0] ?? null);
    const wanted = new Map<string, string | null>([[GLOBAL, global]]);
    regions.forEach((r, i) => {
      wanted.set(r, versionOf(pointers[i + 1] ?? null) ?? global);
    });
    const versions = new Set([...wanted.values()].filter((v): v is string => v !== null));
    await Promise.all([...versions].map((v) => this.obtain(kv, v, now)));
    for (const [key, version] of wanted) this.apply(key, this.scopes.get(key) as Scope, version, now);
    await this.evict();
  }

  /** Loads a version into `loaded` unless it is there or failed recently; failures are recorded, never thrown. */
  private async obtain(kv: KVNamespace, version: string, now: number): Promise<void> {
    if (this.loaded.has(version)) return;
    const failed = this.failures.get(version);
    if (failed && now - failed.at < this.opts.retryFailedMs) return;
    try {
      const [manifestRaw, bytes] = await Promise.all([
        kv.get(keys.modelManifest(version), { type: "json", cacheTtl: 300 }),
        kv.get(keys.modelBytes(version), { type: "arrayBuffer", cacheTtl: 300 }),
      ]);
      if (!manifestRaw) throw new Error("manifest missing");
      if (!bytes) throw new Error("ONNX bytes missing");
      // The signature covers the manifest, which carries the bytes' sha256 (checked below): both are vouched for.
      if (this.signingKey) {
        const bad = await signatureProblem("model-manifest", manifestRaw, this.signingKey);
        if (bad) throw Object.assign(new Error(bad), { reason: "signature" });
      }
      const parsed = ModelManifestSchema.safeParse(manifestRaw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`manifest invalid at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
      }
      const manifest = parsed.data;
      if (manifest.version !== version) throw new Error(`manifest says version ${manifest.version}`);
      // Checked here, whatever the loader does: bytes that are not the manifest's never reach a session.
      const view = new Uint8Array(bytes);
      if (view.byteLength !== manifest.sizeBytes) {
        throw Object.assign(new Error(`${view.byteLength} bytes, manifest says ${manifest.sizeBytes}`), {
          reason: "size-mismatch",
        });
      }
      const digest = await sha256Hex(view);
      if (digest !== manifest.sha256) {
        throw Object.assign(new Error(`sha256 ${digest}, manifest says ${manifest.sha256}`), {
          reason: "checksum-mismatch",
        });
      }
      const ranker = await this.load(view, manifest);
      this.loaded.set(version, { ranker, usedAt: now });
      this.failures.delete(version);
    } catch (e) {
      const reason = describeModelError(version, e).slice(`model ${version}: `.length);
      this.failures.set(version, { version, reason, at: now });
      warn(version, reason);
    }
  }

  private apply(key: string, scope: Scope, version: string | null, now: number): void {
    if (!version) {
      if (!scope.current) scope.failure = { version: "(none)", reason: "no active model published", at: now };
      return;
    }
    const entry = this.loaded.get(version);
    if (entry) entry.usedAt = now;
    if (version === scope.current?.version) {
      scope.failure = null;
      return;
    }
    if (entry) {
      scope.current = entry.ranker;
      scope.failure = null;
      const { engine, engineNote } = entry.ranker;
      console.log(
        JSON.stringify({
          level: "info",
          event: "model-activated",
          version,
          scope: key || "global",
          ...(engine ? { engine } : {}),
          ...(engineNote ? { engineNote } : {}),
        }),
      );
      return;
    }
    const failed = this.failures.get(version);
    scope.failure = failed ?? { version, reason: "not loaded", at: now };
  }

  /** Drops the least recently wanted versions beyond maxLoaded, never one a scope serves, and frees them. */
  private async evict(): Promise<void> {
    const serving = new Set<Ranker>();
    for (const s of this.scopes.values()) if (s.current) serving.add(s.current);
    // Pinned versions are not in any scope; recent use (usedAt) is what keeps them loaded.
    while (this.loaded.size > this.opts.maxLoaded) {
      let victim: string | null = null;
      let oldest = Number.POSITIVE_INFINITY;
      for (const [v, e] of this.loaded) {
        if (!serving.has(e.ranker) && e.usedAt < oldest) {
          oldest = e.usedAt;
          victim = v;
        }
      }
      if (victim === null) return;
      const { ranker } = this.loaded.get(victim) as { ranker: Ranker };
      this.loaded.delete(victim);
      await this.opts.release(ranker).catch(() => undefined);
    }
  }
}

function problemOf(scope: Scope): string | null {
  if (scope.failure) return `model ${scope.failure.version}: ${scope.failure.reason}`;
  return scope.current ? null : "no active model";
}

function readPointer(kv: KVNamespace, key: string): Promise<ActiveModelPointer | null> {
  return kv.get<ActiveModelPointer>(key, { type: "json", cacheTtl: 30 });
}

function versionOf(p: ActiveModelPointer | null): string | null {
  return typeof p?.version === "string" && p.version !== "" ? p.version : null;
}

function warn(version: string, reason: string): void {
  console.warn(JSON.stringify({ level: "warn", event: "model-unavailable", version, reason }));
}
