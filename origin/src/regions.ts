// The origin's regions, read from the edge policy defaults so availability bits match what the edge expects.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseEdgeConfig, regionIds } from "../../edge-config/schema.js";
import type { Region } from "./dataset.js";

/** Path of the edge-config defaults shipped with the project. */
export const DEFAULT_EDGE_CONFIG = fileURLToPath(new URL("../../edge-config/defaults.jsonc", import.meta.url));

/** Regions of an edge-config file, in availability-bit order, with their time zones. */
export function loadRegions(file: string = DEFAULT_EDGE_CONFIG): Region[] {
  const cfg = parseEdgeConfig(readFileSync(file, "utf8"), file);
  return regionIds(cfg).map((id) => ({ id, timeZone: (cfg.regions[id] as { timeZone: string }).timeZone }));
}
