// The edge policy in force: the published config from KV (checked, cached per isolate, refreshed), else the embedded defaults.

import { POINTER_REFRESH_MS, POINTER_RETRY_MS } from "../../core/keys.js";
import { signatureProblem, withoutSignature } from "../../core/signature.js";
import defaultsText from "../../edge-config/defaults.jsonc";
import { type ActiveConfigPointer, configContentVersion, configKeys } from "../../edge-config/keys.js";
import { type EdgeConfig, EdgeConfigSchema, parseEdgeConfig } from "../../edge-config/schema.js";

/** Built-in defaults; a broken defaults file fails the deploy (at start-up), never a request. */
export const DEFAULT_CONFIG: EdgeConfig = parseEdgeConfig(defaultsText, "edge-config/defaults.jsonc");

/** How often an isolate looks for a newly activated config. */
export const CONFIG_REFRESH_MS = POINTER_REFRESH_MS;

export interface ConfigStatus {
  version: string;
  /** "kv" when a published config is in force, "embedded" for the built-in defaults. */
  source: "kv" | "embedded";
  /** Why the config in force is not the one `config:active` names; null when it is. */
  problem: string | null;
  loadedAt: string | null;
}

/**
 * Per-isolate holder of the active config. Reads `config:active` at most every CONFIG_REFRESH_MS; a changed
 * pointer loads `config:<version>` and checks, in order: its signature (when the worker holds
 * ARTIFACT_SIGNING_KEY), the schema, the version label, and that the content hashes to that version. Anything
 * wrong keeps the last good config and reports it.
 */
export class ConfigStore {
  private cfg: EdgeConfig = DEFAULT_CONFIG;
  private source: ConfigStatus["source"] = "embedded";
  private problem: string | null = null;
  private loadedAt: number | null = null;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly refreshMs = CONFIG_REFRESH_MS,
    private readonly clock: () => number = Date.now,
    private readonly retryUnreadableMs = POINTER_RETRY_MS,
  ) {}

  /**
   * The config to serve this request with; waits for KV only when this isolate's copy is due a check.
   * `signingKey` (the ARTIFACT_SIGNING_KEY secret) makes a signature on the document mandatory. It is a required
   * argument, `undefined` included, so a new caller cannot forget it and silently accept unsigned configs.
   */
  async get(kv: KVNamespace, signingKey: string | undefined): Promise<EdgeConfig> {
    if (this.clock() - this.checkedAt >= this.refreshMs) {
      this.pending ??= this.check(kv, signingKey).finally(() => {
        this.pending = null;
      });
      await this.pending;
    }
    return this.cfg;
  }

  status(): ConfigStatus {
    return {
      version: this.cfg.version,
      source: this.source,
      problem: this.problem,
      loadedAt: this.loadedAt === null ? null : new Date(this.loadedAt).toISOString(),
    };
  }

  private async check(kv: KVNamespace, signingKey: string | undefined): Promise<void> {
    this.checkedAt = this.clock();
    let raw: string | null;
    try {
      raw = await kv.get(configKeys.active, { cacheTtl: 30 });
    } catch (e) {
      this.fail(`config: ${configKeys.active} unreadable (${(e as Error).message})`);
      this.retrySoon();
      return;
    }
    if (raw === null) {
      // Nothing published (or the pointer removed): the defaults are the intended config, not a fault.
      this.use(DEFAULT_CONFIG, "embedded", null);
      return;
    }
    let pointer: ActiveConfigPointer;
    try {
      pointer = parsePointer(raw);
    } catch (e) {
      this.fail(`config: ${configKeys.active} unreadable (${(e as Error).message})`);
      return;
    }
    if (this.source === "kv" && pointer.version === this.cfg.version) {
      this.problem = null;
      return;
    }
    let text: string | null;
    try {
      text = await kv.get(configKeys.version(pointer.version), { cacheTtl: 30 });
    } catch (e) {
      this.fail(`config: ${configKeys.version(pointer.version)} unreadable (${(e as Error).message})`);
      this.retrySoon();
      return;
    }
    try {
      if (text === null) throw new Error("missing");
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        throw new Error("not JSON");
      }
      // Authenticity first: nothing else of an unsigned document is worth looking at.
      if (signingKey) {
        const bad = await signatureProblem("edge-config", doc, signingKey);
        if (bad) throw new Error(bad);
      }
      const parsed = EdgeConfigSchema.safeParse(withoutSignature(doc));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
      }
      if (parsed.data.version !== pointer.version) {
        throw new Error(`document says version "${parsed.data.version}"`);
      }
      // The version is the content's hash (edge-config/publish.ts): a value changed after publishing shows here.
      const hashed = await configContentVersion(doc);
      if (hashed !== pointer.version) throw new Error(`content hashes to ${hashed}, not to its version`);
      this.use(parsed.data, "kv", null);
    } catch (e) {
      this.fail(`config: ${configKeys.version(pointer.version)} rejected (${(e as Error).message})`);
    }
  }

  /** A KV error is transient, unlike a bad document: look again soon instead of a whole interval later. */
  private retrySoon(): void {
    this.checkedAt = Math.min(this.checkedAt, this.clock() - this.refreshMs + this.retryUnreadableMs);
  }

  private use(cfg: EdgeConfig, source: ConfigStatus["source"], problem: string | null): void {
    if (cfg !== this.cfg) this.loadedAt = this.clock();
    this.cfg = cfg;
    this.source = source;
    this.problem = problem;
  }

  private fail(why: string): void {
    this.problem = `${why}; serving ${this.source === "kv" ? "last good" : "built-in"} config ${this.cfg.version}`;
    console.warn(JSON.stringify({ level: "warn", event: "config-rejected", problem: this.problem }));
  }
}

function parsePointer(raw: string): ActiveConfigPointer {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new Error("not JSON");
  }
  const version = (v as { version?: unknown })?.version;
  if (typeof version !== "string" || !version) throw new Error('no "version"');
  return v as ActiveConfigPointer;
}

/** Availability bit of a region in lists published under `cfg` (lists carry their own region order). */
export function regionBitIn(listRegions: readonly string[], region: string): number | null {
  const i = listRegions.indexOf(region);
  return i >= 0 ? i : null;
}
