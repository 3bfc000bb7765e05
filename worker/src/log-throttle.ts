// Per-isolate rate limit for repetitive log lines: during an outage every request degrades the same way.

/** One `degraded` log line per region, row and serving tier per isolate every 10 s; /ops counts every request. */
export const DEGRADED_LOG_WINDOW_MS = 10_000;

/** What admit() decided for one line. */
export type Admission = { write: false } | { write: true; suppressed: number };

/**
 * At most one line per key per window; the lines dropped in between are counted and reported by the next line
 * written for that key (`suppressed`). Keys are few (region × row × tier), so the map stays small; it is still
 * capped, and an unknown key past the cap is written, never silently dropped.
 */
export class LogThrottle {
  private readonly keys = new Map<string, { until: number; suppressed: number }>();

  constructor(
    private readonly windowMs = DEGRADED_LOG_WINDOW_MS,
    private readonly maxKeys = 1_000,
  ) {}

  admit(key: string, now: number): Admission {
    const entry = this.keys.get(key);
    if (entry && now < entry.until) {
      entry.suppressed++;
      return { write: false };
    }
    const suppressed = entry?.suppressed ?? 0;
    if (entry) {
      entry.until = now + this.windowMs;
      entry.suppressed = 0;
    } else if (this.keys.size < this.maxKeys) {
      this.keys.set(key, { until: now + this.windowMs, suppressed: 0 });
    }
    return { write: true, suppressed };
  }
}
