// Peak pre-warming (Cron Trigger): shortly before a region's peak opens, its regional lists and its hottest users'
// top-picks are fetched from the origin into KV.
import { keys } from "../../../core/keys.js";
import { type EdgeConfig, nextPeakStart, resolvePolicy } from "../../../edge-config/schema.js";
import type { ConfigStore } from "../config.js";
import { fetchOriginList, originListUrl } from "../serving/origin.js";
import { opsStatsFor } from "./recorder.js";

/** How far ahead of a peak opening a cron run warms (equal to the cron interval, so each peak is warmed once). */
export const PREWARM_LEAD_MS = 15 * 60_000;

/**
 * KV operations one invocation may spend. Workers allow 1,000 per invocation; the rest is headroom for the
 * config reads. Each key is written at most once per run, which also keeps to KV's one write per second per key.
 */
export const PREWARM_KV_BUDGET = 900;

/** One list the run refreshed (or could not). */
export interface WarmedList {
  region: string;
  key: string;
  ok: boolean;
  detail: string;
}

export interface PrewarmReport {
  at: string;
  configVersion: string;
  /** Regions whose peak opens within the lead time, with the opening instant. */
  regions: { region: string; peakAt: string }[];
  lists: WarmedList[];
  kvOps: number;
  /** Lists left out because the KV budget ran out. */
  skipped: number;
}

/** Users per region whose top-picks are warmed too (the most requested ones the ops counters saw). */
export const PREWARM_HOT_USERS = 25;

interface PrewarmDeps {
  kv: KVNamespace;
  originUrl: string;
  /** Bearer token for the origin (ORIGIN_TOKEN); none when unset. */
  originToken?: string | undefined;
  /** ARTIFACT_SIGNING_KEY: the config read must be signed when set (required, so no caller forgets it). */
  signingKey: string | undefined;
  config: ConfigStore;
  /** The region's most requested users, at most `n`; none when absent or when it fails. */
  hotUsers?: (region: string, n: number) => Promise<string[]>;
}

/** Warms every region whose peak opens in (at, at + lead]; lists go in region order, then list order. */
export async function prewarm(deps: PrewarmDeps, at: number, leadMs = PREWARM_LEAD_MS): Promise<PrewarmReport> {
  const cfg: EdgeConfig = await deps.config.get(deps.kv, deps.signingKey);
  let kvOps = 2; // the pointer and, at most, one version read by the config store
  let skipped = 0;
  const lists: WarmedList[] = [];
  const regions: PrewarmReport["regions"] = [];
  for (const region of Object.keys(cfg.regions)) {
    const opens = nextPeakStart(cfg, region, at + 1, leadMs);
    if (opens === null) continue;
    regions.push({ region, peakAt: new Date(opens).toISOString() });
    // The depth the peak profile will score, so the warmed list is deep enough for it.
    const depth = (row: string) => resolvePolicy(cfg, region, row, opens).policy.candidateDepth;
    const users = deps.hotUsers ? await deps.hotUsers(region, PREWARM_HOT_USERS).catch(() => []) : [];
    const targets = [
      {
        key: keys.candidates("trending", "", region),
        url: originListUrl(deps.originUrl, "trending", { region, depth: depth("trending") }),
      },
      {
        key: keys.popular(region),
        url: originListUrl(deps.originUrl, "popular", { region, depth: depth("top-picks") }),
      },
      ...users.map((user) => ({
        key: keys.candidates("top-picks", user, region),
        url: originListUrl(deps.originUrl, "top-picks", { region, user, depth: depth("top-picks") }),
      })),
    ];
    // Pre-warming runs off the request path: give the origin more time than a request would.
    const timeoutMs = Math.max(5_000, resolvePolicy(cfg, region, "trending", opens).policy.originTimeoutMs);
    for (const t of targets) {
      if (kvOps + 1 > PREWARM_KV_BUDGET) {
        skipped++;
        continue;
      }
      const fetched = await fetchOriginList(t.url, timeoutMs, deps.originToken);
      if (!fetched.ok) {
        lists.push({ region, key: t.key, ok: false, detail: fetched.reason });
        continue;
      }
      kvOps++;
      try {
        await deps.kv.put(t.key, fetched.bytes);
        lists.push({ region, key: t.key, ok: true, detail: `${fetched.list.size} candidates` });
      } catch (e) {
        lists.push({ region, key: t.key, ok: false, detail: `kv: ${(e as Error).message}` });
      }
    }
  }
  const report: PrewarmReport = {
    at: new Date(at).toISOString(),
    configVersion: cfg.version,
    regions,
    lists,
    kvOps,
    skipped,
  };
  console.log(JSON.stringify({ level: "info", event: "prewarm", ...report, lists: lists.length }));
  return report;
}

/** The worker's `scheduled` handler body: pre-warm at the trigger's scheduled time. */
export function handleScheduled(
  deps: Pick<PrewarmDeps, "config">,
  controller: ScheduledController,
  env: Env,
  ctx: ExecutionContext,
): void {
  const stats = env.OPS_STATS;
  const hotUsers = stats ? (region: string, n: number) => opsStatsFor(stats, region).hotUsers(region, n) : undefined;
  ctx.waitUntil(
    prewarm(
      {
        ...deps,
        kv: env.KV,
        originUrl: env.ORIGIN_URL,
        originToken: env.ORIGIN_TOKEN,
        signingKey: env.ARTIFACT_SIGNING_KEY,
        ...(hotUsers ? { hotUsers } : {}),
      },
      controller.scheduledTime,
    ),
  );
}
