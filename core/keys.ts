// KV key scheme shared by the origin's publisher, the model tools and the edge.
import type { Row } from "./vocab.js";

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
  /** Index of published versions (JSON ModelIndex), written after a version's bytes and manifest. */
  modelIndex: "model:versions",
} as const;

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

/** One published version in keys.modelIndex. */
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

/** The value under keys.modelIndex. */
export interface ModelIndex {
  versions: ModelIndexEntry[];
}
