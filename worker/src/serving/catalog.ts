// The catalog list (every title with its features), cached per isolate, for re-rank calls that send only ids.
import { type CandidateList, decodeCandidateList } from "../../../core/codec.js";
import { keys } from "../../../core/keys.js";

export interface CatalogIndex {
  list: CandidateList;
  indexOf: Map<number, number>;
}

let cached: { at: number; index: CatalogIndex } | null = null;
let inflight: Promise<CatalogIndex | null> | null = null;
const TTL_MS = 5 * 60_000;

/** The catalog, or null when KV has none (or an unreadable one); `problem` collects why. */
export async function getCatalog(kv: KVNamespace, problems: string[], now = Date.now()): Promise<CatalogIndex | null> {
  if (cached && now - cached.at < TTL_MS) return cached.index;
  inflight ??= load(kv, problems, now).finally(() => {
    inflight = null;
  });
  return (await inflight) ?? cached?.index ?? null;
}

async function load(kv: KVNamespace, problems: string[], now: number): Promise<CatalogIndex | null> {
  try {
    const bytes = await kv.get(keys.catalog, { type: "arrayBuffer", cacheTtl: 300 });
    if (!bytes) {
      problems.push("catalog not published");
      return null;
    }
    const list = decodeCandidateList(bytes);
    const indexOf = new Map<number, number>();
    for (let i = 0; i < list.size; i++) indexOf.set(list.ids[i] as number, i);
    const index = { list, indexOf };
    cached = { at: now, index };
    return index;
  } catch (e) {
    problems.push(`catalog unreadable (${(e as Error).message})`);
    return null;
  }
}

/** Forgets the cached catalog (tests, and after a publish in the same isolate). */
export function resetCatalogCache(): void {
  cached = null;
}
