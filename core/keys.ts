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
} as const;

/** The pointer stored under keys.activeModel. */
export interface ActiveModelPointer {
  version: string;
  activatedAt: string;
}
