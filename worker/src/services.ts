// Per-isolate services: the model registry and the list cache tiers, created once at start-up.
import { ConfigStore } from "./config.js";
import { LogThrottle } from "./log-throttle.js";
import { loadModel } from "./model/index.js";
import { OpsRecorder } from "./ops/recorder.js";
import { NegativeCache } from "./serving/candidates.js";
import { CatalogCache } from "./serving/catalog.js";
import { KvListStore, type ListStore, MemoryListStore, TieredListStore } from "./serving/list-store.js";
import { type ModelLoader, ModelRegistry } from "./serving/models.js";
import { ProfileCache } from "./serving/profiles.js";

/** What a `degraded` log line is throttled by, and what a summary of its skipped lines names. */
export interface DegradedKey {
  region: string;
  row: string;
  servedBy: string;
}

/** One key per region, row and tier. */
export const degradedKeyOf = (k: DegradedKey): string => `${k.region}|${k.row}|${k.servedBy}`;

export interface Services {
  models: ModelRegistry;
  memory: MemoryListStore;
  catalog: CatalogCache;
  profiles: ProfileCache;
  /** The published edge config, cached and refreshed per isolate. */
  config: ConfigStore;
  /** Origin 404s remembered per isolate (policy negativeCacheSeconds). */
  negative: NegativeCache;
  /** Ops counters, batched to the OpsStats Durable Object. */
  ops: OpsRecorder;
  /** Rate limit for the per-request `degraded` log line (one per region, row and tier every 10 s). */
  degradedLog: LogThrottle<DegradedKey>;
  /** The list cache for a request: isolate memory, then the request's KV binding. */
  lists(env: Env): ListStore;
}

/** Builds the services; tests pass their own loader or options to get a fresh, isolated set. */
export function createServices(loader: ModelLoader = loadModel): Services {
  const memory = new MemoryListStore();
  // One tiered store per bindings object (the same object on every request of an isolate), not one per request.
  const tiers = new WeakMap<Env, ListStore>();
  return {
    models: new ModelRegistry(loader),
    memory,
    catalog: new CatalogCache(),
    profiles: new ProfileCache(),
    config: new ConfigStore(),
    negative: new NegativeCache(),
    ops: new OpsRecorder(),
    degradedLog: new LogThrottle<DegradedKey>(degradedKeyOf),
    lists: (env) => {
      let store = tiers.get(env);
      if (!store) {
        store = new TieredListStore([memory, new KvListStore(env.KV)]);
        tiers.set(env, store);
      }
      return store;
    },
  };
}
