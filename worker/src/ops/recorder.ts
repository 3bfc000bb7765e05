// Per-isolate ops recorder: aggregates request samples and sends them to each region's OpsStats object in batches.
import { addOriginFetch, addSample, mergeStats, type RequestSample, type StatsByRegion } from "./stats.js";
import type { OpsStats } from "./stats-object.js";

/**
 * The OpsStats instance that aggregates one region's counters. One object per region, not one for the world: each
 * takes only its region's isolates' flushes, and Cloudflare creates it near the first isolate that reports to it,
 * so flushes stay in the region.
 */
export function opsStatsFor(ns: DurableObjectNamespace<OpsStats>, region: string): DurableObjectStub<OpsStats> {
  return ns.get(ns.idFromName(`region:${region}`));
}

/** Aggregates samples in isolate memory; flushes every `flushEvery` samples or `flushMs`, off the request path. */
export class OpsRecorder {
  private pending: StatsByRegion = {};
  private count = 0;
  private lastFlush: number;

  constructor(
    private readonly flushEvery = 50,
    private readonly flushMs = 2_000,
    private readonly clock: () => number = Date.now,
  ) {
    this.lastFlush = clock();
  }

  /**
   * Records one request; may start a flush through `waitUntil`. Never throws into the request. Without an
   * OPS_STATS binding nothing would ever read the counts: nothing is kept and no flush is scheduled (a flush that
   * could only return at once would otherwise be scheduled on every request past the `flushEvery`th).
   */
  record(env: Env, sample: RequestSample, waitUntil: (p: Promise<unknown>) => void): void {
    if (!env.OPS_STATS) return;
    addSample(this.pending, sample);
    this.counted(env, waitUntil);
  }

  /** Records an origin request sent in the background (a revalidation or a fill); may start a flush. */
  recordOriginFetch(env: Env, region: string, ok: boolean, waitUntil: (p: Promise<unknown>) => void): void {
    if (!env.OPS_STATS) return;
    addOriginFetch(this.pending, region, ok);
    this.counted(env, waitUntil);
  }

  /** One more pending entry: starts a flush when `flushEvery` entries or `flushMs` have gone by. */
  private counted(env: Env, waitUntil: (p: Promise<unknown>) => void): void {
    this.count++;
    if (this.count >= this.flushEvery || this.clock() - this.lastFlush >= this.flushMs) waitUntil(this.flush(env));
  }

  /**
   * Sends what is pending, one delta per region to that region's object; a region whose send fails keeps its
   * delta for the next flush.
   */
  async flush(env: Env): Promise<void> {
    if (this.count === 0 || !env.OPS_STATS) return;
    const ns = env.OPS_STATS;
    const delta = Object.entries(this.pending);
    this.pending = {};
    this.count = 0;
    this.lastFlush = this.clock();
    const sent = await Promise.allSettled(
      delta.map(([region, stats]) => opsStatsFor(ns, region).record({ [region]: stats })),
    );
    const kept: StatsByRegion = {};
    const errors: string[] = [];
    sent.forEach((r, i) => {
      if (r.status === "fulfilled") return;
      const [region, stats] = delta[i] as [string, StatsByRegion[string]];
      kept[region] = stats;
      errors.push(`${region}: ${String(r.reason)}`);
    });
    if (errors.length === 0) return;
    // Samples recorded while the sends were under way join the kept deltas.
    mergeStats(kept, this.pending);
    this.pending = kept;
    this.count = Math.max(this.count, 1);
    console.warn(JSON.stringify({ level: "warn", event: "ops-flush-failed", errors }));
  }
}
