// OpsStats Durable Object: one region's aggregate of the ops counters that isolates send as deltas (see opsStatsFor).
import { DurableObject } from "cloudflare:workers";
import { hottestUsers, mergeStats, type StatsByRegion } from "./stats.js";

/** How long merged deltas may wait in memory before the totals are written: at most one write per this long. */
export const OPS_PERSIST_MS = 1_000;

/**
 * Holds the totals in memory and writes them to its storage behind the deltas (so they survive eviction).
 * The region's isolates pre-aggregate and send a delta every few seconds, so an instance sees a few calls per
 * second per isolate, not one per request; writing the whole totals on each of those calls would make its
 * storage the cost and the limit. One alarm writes whatever arrived in the last second instead. What a restart can lose is the
 * counts of that second, never a written total; reads (the ops page, pre-warming) see the unwritten ones too.
 */
export class OpsStats extends DurableObject<Env> {
  private totals: StatsByRegion | null = null;
  private writeScheduled = false;

  private async load(): Promise<StatsByRegion> {
    this.totals ??= (await this.ctx.storage.get<StatsByRegion>("totals")) ?? {};
    return this.totals;
  }

  /** Adds an isolate's delta to the totals; they reach storage within OPS_PERSIST_MS. */
  async record(delta: StatsByRegion): Promise<void> {
    const totals = await this.load();
    mergeStats(totals, delta);
    if (!this.writeScheduled) {
      this.writeScheduled = true;
      try {
        await this.ctx.storage.setAlarm(Date.now() + OPS_PERSIST_MS);
      } catch (e) {
        // No alarm set: the next delta must try again, or these counts would never be written.
        this.writeScheduled = false;
        throw e;
      }
    }
  }

  /** Writes the totals merged since the last write. */
  override async alarm(): Promise<void> {
    this.writeScheduled = false;
    if (this.totals) await this.ctx.storage.put("totals", this.totals);
  }

  /** The region's `n` most requested users of personal rows (pre-warming warms their top-picks). */
  async hotUsers(region: string, n: number): Promise<string[]> {
    return hottestUsers(await this.load(), region, n);
  }

  /** The totals so far. */
  async snapshot(): Promise<StatsByRegion> {
    return this.load();
  }
}
