// Per-isolate ops recorder: aggregates request samples and sends them to the OpsStats Durable Object in batches.
import { addOriginFetch, addSample, mergeStats, type RequestSample, type StatsByRegion } from "./stats.js";

/** Name of the one OpsStats instance every isolate reports to. */
export const OPS_STATS_INSTANCE = "global";

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
    this.count++;
    if (this.count >= this.flushEvery || this.clock() - this.lastFlush >= this.flushMs) waitUntil(this.flush(env));
  }

  /** Records an origin request sent in the background (a revalidation or a fill); may start a flush. */
  recordOriginFetch(env: Env, region: string, ok: boolean, waitUntil: (p: Promise<unknown>) => void): void {
    if (!env.OPS_STATS) return;
    addOriginFetch(this.pending, region, ok);
    this.count++;
    if (this.count >= this.flushEvery || this.clock() - this.lastFlush >= this.flushMs) waitUntil(this.flush(env));
  }

  /** Sends what is pending; a failed send keeps it for the next flush. */
  async flush(env: Env): Promise<void> {
    if (this.count === 0 || !env.OPS_STATS) return;
    const delta = this.pending;
    this.pending = {};
    this.count = 0;
    this.lastFlush = this.clock();
    try {
      await env.OPS_STATS.get(env.OPS_STATS.idFromName(OPS_STATS_INSTANCE)).record(delta);
    } catch (e) {
      mergeStats(delta, this.pending);
      this.pending = delta;
      this.count = 1;
      console.warn(JSON.stringify({ level: "warn", event: "ops-flush-failed", error: String(e) }));
    }
  }
}
