// KV keys of published edge configs: immutable versions and the activation pointer (like models).
import { sha256Hex } from "../core/manifest.js";
import { canonicalJson } from "../core/signature.js";

export const configKeys = {
  /** One published config document (JSON), never overwritten once written. */
  version(version: string): string {
    return `config:${version}`;
  },
  /** Pointer to the config in force: JSON ActiveConfigPointer. */
  active: "config:active",
} as const;

/** The value under configKeys.active. `history` holds earlier active versions, newest first, for rollback. */
export interface ActiveConfigPointer {
  version: string;
  activatedAt: string;
  history: string[];
}

/** Prefix of a content-addressed config version: `cfg-` and the first 12 hex digits of the content's sha256. */
export const CONFIG_VERSION_PATTERN = /^cfg-[0-9a-f]{12}$/;

/**
 * The version a config document must carry: `cfg-` + sha256 (first 12 hex) of its canonical JSON without the
 * `version` label and the `signature`. The publisher names versions this way; the edge recomputes it before it
 * activates a document, so a value changed in KV after publishing is refused.
 */
export async function configContentVersion(doc: unknown): Promise<string> {
  const { version: _label, signature: _sig, ...content } = (doc ?? {}) as Record<string, unknown>;
  return `cfg-${(await sha256Hex(new TextEncoder().encode(canonicalJson(content)))).slice(0, 12)}`;
}
