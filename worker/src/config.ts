// The edge policy in force: the embedded defaults from edge-config, parsed once per isolate.
import defaultsText from "../../edge-config/defaults.jsonc";
import { type EdgeConfig, parseEdgeConfig, regionIds } from "../../edge-config/schema.js";

/** Built-in defaults; a broken defaults file fails the deploy (at start-up), never a request. */
export const DEFAULT_CONFIG: EdgeConfig = parseEdgeConfig(defaultsText, "edge-config/defaults.jsonc");

/** The config serving uses now. Later, a published config from KV replaces it; defaults stay the floor. */
export function activeConfig(): EdgeConfig {
  return DEFAULT_CONFIG;
}

/** Availability bit of a region in lists published under `cfg` (lists carry their own region order). */
export function regionBitIn(listRegions: readonly string[], region: string): number | null {
  const i = listRegions.indexOf(region);
  return i >= 0 ? i : null;
}

export { regionIds };
