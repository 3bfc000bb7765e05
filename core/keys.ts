// KV key scheme shared by the origin's publisher, the model tools and the edge.
import type { Row } from "./vocab.js";

/**
 * How often an isolate re-reads the activation pointers in KV (`model:active*`, `config:active`): the longest a
 * published activation or rollback waits before an isolate acts on it.
 */
export const POINTER_REFRESH_MS = 10_000;

/**
 * After a KV read of a pointer fails (a KV error, not a bad document), the isolate tries again this soon rather
 * than a whole POINTER_REFRESH_MS later, so a KV outage's after-effects end within about a second of it.
 */
export const POINTER_RETRY_MS = 1_000;

/** Rows whose lists are per user; the others are per region. */
export const PERSONAL_ROWS: readonly Row[] = ["top-picks", "because-you-watched"];

export const keys = {
  /** Candidate list of a row for a user (personal rows) or a region (trending). */
  candidates(row: Row, userId: string, region: string): string {
    return PERSONAL_ROWS.includes(row) ? `cand:${row}:user:${userId}` : `cand:${row}:region:${region}`;
  },
  /** The regional popular list: the last tier when no row list exists. */
  popular(region: string): string {
    return `cand:popular:region:${region}`;
  },
  profile(userId: string): string {
    return `profile:${userId}`;
  },
  /** Every catalog title as one candidate list (scope `catalog`): features for id-only re-rank calls. */
  catalog: "catalog",
  modelBytes(version: string): string {
    return `model:${version}:onnx`;
  },
  modelManifest(version: string): string {
    return `model:${version}:manifest`;
  },
  /** Pointer to the active model version: JSON `{ "version": "..." }`. */
  activeModel: "model:active",
  /** A region's own pointer; when present it wins over keys.activeModel for requests from that region. */
  activeModelFor(region: string): string {
    return `model:active:${region}`;
  },
  /**
   * Legacy index of published versions (JSON ModelIndex), written by model tools before versions were listed
   * from their own keys. Never written any more (a shared document loses entries under concurrent writers, KV
   * having no compare-and-swap); `model list` still merges it when present. The edge never reads it.
   */
  modelIndex: "model:versions",
  /** Prefix of every model key: list it to find published versions (manifest keys) and pointers. */
  modelPrefix: "model:",
  /** Prefix of the per-region pointers. */
  activeModelPrefix: "model:active:",
} as const;

/** What a model key is: `model:<v>:onnx`, `model:<v>:manifest`, `model:active[:<region>]`, the legacy index. */
export type ModelKey =
  | { kind: "bytes"; version: string }
  | { kind: "manifest"; version: string }
  | { kind: "pointer"; region: string | null }
  | { kind: "index" };

/**
 * Classifies a key under keys.modelPrefix, or null for anything else. `model:active:<x>` is always a pointer:
 * "active" is not a publishable version (its keys would collide with the region pointers).
 */
export function parseModelKey(name: string): ModelKey | null {
  if (name === keys.activeModel) return { kind: "pointer", region: null };
  if (name === keys.modelIndex) return { kind: "index" };
  if (name.startsWith(keys.activeModelPrefix)) {
    const region = name.slice(keys.activeModelPrefix.length);
    return region && !region.includes(":") ? { kind: "pointer", region } : null;
  }
  const m = /^model:([^:]+):(onnx|manifest)$/.exec(name);
  if (!m) return null;
  return { kind: m[2] === "onnx" ? "bytes" : "manifest", version: m[1] as string };
}

/** One key of a KV prefix listing, with the metadata it was written with. */
export interface KvListedKey {
  name: string;
  metadata?: unknown;
}

/**
 * KV metadata on a version's manifest key, written with it by `model publish`: what `model list` shows, so a
 * listing needs no read per version. `metrics` is left out (metricsInManifest) when it would not fit KV's
 * 1,024-byte metadata limit.
 */
export interface PublishedVersionMeta {
  publishedAt: string;
  sha256: string;
  sizeBytes: number;
  source?: string;
  metrics?: Record<string, number>;
  metricsInManifest?: true;
}

/** An earlier activation kept in a pointer, newest first: what rollback returns to. */
export interface PointerHistoryEntry {
  version: string;
  activatedAt: string;
}

/** The pointer stored under keys.activeModel or keys.activeModelFor(region). */
export interface ActiveModelPointer {
  version: string;
  activatedAt: string;
  /** Earlier activations of this pointer, newest first (bounded); absent in pointers written by older tools. */
  history?: PointerHistoryEntry[];
}

/** One published version in keys.modelIndex (legacy) or in a listing. */
export interface ModelIndexEntry {
  version: string;
  publishedAt: string;
  sha256: string;
  sizeBytes: number;
  /** The manifest's training.metrics, when it has them. */
  metrics?: Record<string, number>;
  /** Where the model came from: "trained" (model-export) or "imported" (bring your own model). */
  source?: string;
}

/** The value under keys.modelIndex (legacy; read, never written). */
export interface ModelIndex {
  versions: ModelIndexEntry[];
}
