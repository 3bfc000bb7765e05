// OpsStats Durable Object: one global aggregate of the per-region ops counters that isolates send as deltas.
import { DurableObject } from "cloudflare:workers";
import { hottestUsers, mergeStats, type StatsByRegion } from "./stats.js";

/**
 * Holds the totals in memory and in its storage (so they survive eviction). Isolates pre-aggregate and send a
 * delta every few seconds, so this one instance sees a few calls per second per isolate, not one per request.
 */
export class OpsStats extends DurableObject<Env> {
  private totals: StatsByRegion | null = null;

  private async load(): Promise<StatsByRegion> {
    this.totals ??= (await this.ctx.storage.get<StatsByRegion>("totals")) ?? {};
    return this.totals;
  }

  /** Adds an isolate's delta to the totals. */
  async record(delta: StatsByRegion): Promise<void> {
    const totals = await this.load();
    mergeStats(totals, delta);
    await this.ctx.storage.put("totals", totals);
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
