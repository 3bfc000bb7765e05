// KV keys of published edge configs: immutable versions and the activation pointer (like models).

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
