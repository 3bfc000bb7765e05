// The edge policy in force: the published config from KV (checked, cached per isolate, refreshed), else the embedded defaults.
import defaultsText from "../../edge-config/defaults.jsonc";
import { type ActiveConfigPointer, configKeys } from "../../edge-config/keys.js";
import { type EdgeConfig, EdgeConfigSchema, parseEdgeConfig } from "../../edge-config/schema.js";

/** Built-in defaults; a broken defaults file fails the deploy (at start-up), never a request. */
export const DEFAULT_CONFIG: EdgeConfig = parseEdgeConfig(defaultsText, "edge-config/defaults.jsonc");

/** How often an isolate looks for a newly activated config. */
export const CONFIG_REFRESH_MS = 10_000;

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
 * pointer loads and zod-checks `config:<version>`. Anything wrong keeps the last good config and reports it.
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
  ) {}

  /** The config to serve this request with; waits for KV only when this isolate's copy is due a check. */
  async get(kv: KVNamespace): Promise<EdgeConfig> {
    if (this.clock() - this.checkedAt >= this.refreshMs) {
      this.pending ??= this.check(kv).finally(() => {
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

  private async check(kv: KVNamespace): Promise<void> {
    this.checkedAt = this.clock();
    let pointer: ActiveConfigPointer | null;
    try {
      const raw = await kv.get(configKeys.active, { cacheTtl: 30 });
      if (raw === null) {
        // Nothing published (or the pointer removed): the defaults are the intended config, not a fault.
        this.use(DEFAULT_CONFIG, "embedded", null);
        return;
      }
      pointer = parsePointer(raw);
    } catch (e) {
      this.fail(`config: ${configKeys.active} unreadable (${(e as Error).message})`);
      return;
    }
    if (this.source === "kv" && pointer.version === this.cfg.version) {
      this.problem = null;
      return;
    }
    try {
      const text = await kv.get(configKeys.version(pointer.version), { cacheTtl: 30 });
      if (text === null) throw new Error("missing");
      const parsed = EdgeConfigSchema.safeParse(JSON.parse(text));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
      }
      if (parsed.data.version !== pointer.version) {
        throw new Error(`document says version "${parsed.data.version}"`);
      }
      this.use(parsed.data, "kv", null);
    } catch (e) {
      this.fail(`config: ${configKeys.version(pointer.version)} rejected (${(e as Error).message})`);
    }
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
