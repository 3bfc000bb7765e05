// The isolate's model: follows the KV activation pointer, verifies before switching, keeps the last good one.
import { type ActiveModelPointer, keys } from "../../../core/keys.js";
import { type ModelManifest, ModelManifestSchema } from "../../../core/manifest.js";
import type { Ranker } from "../../../core/ranker.js";

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
  /** How often the activation pointer is re-read. */
  refreshMs: number;
  /** How long a version that failed to load is left alone before trying again. */
  retryFailedMs: number;
}

/**
 * One per isolate. The first request waits for the model; later pointer changes load in the background
 * and swap in only once loaded and verified, so a bad publish never replaces a good model.
 */
export class ModelRegistry {
  private current: Ranker | null = null;
  private failure: { version: string; reason: string; at: number } | null = null;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | null = null;

  constructor(
    private readonly load: ModelLoader,
    private readonly opts: ModelRegistryOptions = { refreshMs: 10_000, retryFailedMs: 60_000 },
  ) {}

  /** The ranker to use now. Never throws: problems come back as `problem`. */
  async get(kv: KVNamespace, waitUntil: (p: Promise<unknown>) => void, now = Date.now()): Promise<ModelState> {
    if (now - this.checkedAt >= this.opts.refreshMs) {
      this.checkedAt = now;
      this.inflight ??= this.refresh(kv, now).finally(() => {
        this.inflight = null;
      });
      if (this.current) waitUntil(this.inflight);
      else await this.inflight;
    } else if (!this.current && this.inflight) {
      await this.inflight;
    }
    return {
      ranker: this.current,
      problem: this.failure
        ? `model ${this.failure.version}: ${this.failure.reason}`
        : this.current
          ? null
          : "no active model",
    };
  }

  /** What /healthz reports. */
  status(): { version: string | null; problem: string | null } {
    return {
      version: this.current?.version ?? null,
      problem: this.failure ? `model ${this.failure.version}: ${this.failure.reason}` : null,
    };
  }

  private async refresh(kv: KVNamespace, now: number): Promise<void> {
    let pointer: ActiveModelPointer | null;
    try {
      pointer = await kv.get<ActiveModelPointer>(keys.activeModel, { type: "json", cacheTtl: 30 });
    } catch (e) {
      this.fail("?", `activation pointer unreadable (${(e as Error).message})`, now);
      return;
    }
    const version = typeof pointer?.version === "string" ? pointer.version : null;
    if (!version) {
      if (!this.current) this.fail("(none)", "no active model published", now);
      return;
    }
    if (version === this.current?.version) {
      this.failure = null;
      return;
    }
    if (this.failure?.version === version && now - this.failure.at < this.opts.retryFailedMs) return;
    try {
      const [manifestRaw, bytes] = await Promise.all([
        kv.get(keys.modelManifest(version), { type: "json", cacheTtl: 300 }),
        kv.get(keys.modelBytes(version), { type: "arrayBuffer", cacheTtl: 300 }),
      ]);
      if (!manifestRaw) throw new Error("manifest missing");
      if (!bytes) throw new Error("ONNX bytes missing");
      const parsed = ModelManifestSchema.safeParse(manifestRaw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`manifest invalid at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
      }
      if (parsed.data.version !== version) throw new Error(`manifest says version ${parsed.data.version}`);
      this.current = await this.load(new Uint8Array(bytes), parsed.data);
      this.failure = null;
      console.log(JSON.stringify({ level: "info", event: "model-activated", version }));
    } catch (e) {
      this.fail(version, describeModelError(version, e).slice(`model ${version}: `.length), now);
    }
  }

  private fail(version: string, reason: string, now: number): void {
    this.failure = { version, reason, at: now };
    console.warn(JSON.stringify({ level: "warn", event: "model-unavailable", version, reason }));
  }
}
