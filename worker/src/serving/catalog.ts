// The catalog list (every title with its features), cached per isolate, for re-rank calls that send only ids.
import { type CandidateList, decodeCandidateList } from "../../../core/codec.js";
import { keys } from "../../../core/keys.js";

export interface CatalogIndex {
  list: CandidateList;
  indexOf: Map<number, number>;
}

/** Holds the decoded catalog for `ttlMs`; one KV read per isolate per period, shared by concurrent callers. */
export class CatalogCache {
  private cached: { at: number; index: CatalogIndex } | null = null;
  private inflight: Promise<CatalogIndex | string> | null = null;

  constructor(private readonly ttlMs = 5 * 60_000) {}

  /** The catalog, or null when KV has none (or an unreadable one); `problems` collects why. */
  async get(kv: KVNamespace, problems: string[], now = Date.now()): Promise<CatalogIndex | null> {
    if (this.cached && now - this.cached.at < this.ttlMs) return this.cached.index;
    this.inflight ??= this.load(kv, now).finally(() => {
      this.inflight = null;
    });
    const result = await this.inflight;
    if (typeof result === "string") {
      problems.push(result);
      return this.cached?.index ?? null;
    }
    return result;
  }

  private async load(kv: KVNamespace, now: number): Promise<CatalogIndex | string> {
    try {
      const bytes = await kv.get(keys.catalog, { type: "arrayBuffer", cacheTtl: 300 });
      if (!bytes) return "catalog not published";
      const list = decodeCandidateList(bytes);
      const indexOf = new Map<number, number>();
      for (let i = 0; i < list.size; i++) indexOf.set(list.ids[i] as number, i);
      const index = { list, indexOf };
      this.cached = { at: now, index };
      return index;
    } catch (e) {
      return `catalog unreadable (${(e as Error).message})`;
    }
  }
}
