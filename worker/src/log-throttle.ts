// Per-isolate rate limit for repetitive log lines: during an outage every request degrades the same way.

/** One `degraded` log line per region, row and serving tier per isolate every 10 s; /ops counts every request. */
export const DEGRADED_LOG_WINDOW_MS = 10_000;

/** What admit() decided for one line. */
export type Admission = { write: false } | { write: true; suppressed: number };

/** Lines a key skipped in a window no later line of that key reported: owed as one summary line. */
export interface Owed<D> {
  detail: D;
  suppressed: number;
}

interface Entry<D> {
  until: number;
  suppressed: number;
  detail: D;
}

/**
 * At most one line per key per window. The lines dropped in between are counted and reported once: by the next
 * line written for that key (`suppressed`), or, when the key stays quiet for one more window after its own, by
 * `drain()`, which later requests call, so the skips of an outage's last window are not lost. The grace window
 * keeps the common case (the key degrades again) to one line, not a line and a summary. Keys are few (region ×
 * row × tier) and are forgotten once their grace ends with nothing owed; the map is still capped, and an
 * unknown key past the cap is written, never silently dropped.
 */
export class LogThrottle<D> {
  private readonly keys = new Map<string, Entry<D>>();
  /** No grace ends before this: drain() is one comparison on the requests in between. */
  private nextDue = Number.POSITIVE_INFINITY;

  /** `keyOf` names the line's key from its detail (the detail is what a summary of the key's skips reports). */
  constructor(
    private readonly keyOf: (detail: D) => string,
    private readonly windowMs = DEGRADED_LOG_WINDOW_MS,
    private readonly maxKeys = 1_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Whether the line with this detail is written now. */
  admit(detail: D): Admission {
    const now = this.clock();
    const key = this.keyOf(detail);
    const entry = this.keys.get(key);
    if (entry && now < entry.until) {
      entry.suppressed++;
      entry.detail = detail;
      return { write: false };
    }
    const suppressed = entry?.suppressed ?? 0;
    const until = now + this.windowMs;
    if (entry) {
      entry.until = until;
      entry.suppressed = 0;
      entry.detail = detail;
    } else if (this.keys.size < this.maxKeys) {
      this.keys.set(key, { until, suppressed: 0, detail });
    } else {
      return { write: true, suppressed };
    }
    if (until + this.windowMs < this.nextDue) this.nextDue = until + this.windowMs;
    return { write: true, suppressed };
  }

  /**
   * Summaries owed by keys quiet for a whole window after their own, each returned once (with the detail of the
   * last line skipped); keys with nothing owed are forgotten then.
   */
  drain(): Owed<D>[] {
    const now = this.clock();
    if (now < this.nextDue) return [];
    const owed: Owed<D>[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [key, e] of this.keys) {
      const due = e.until + this.windowMs;
      if (now < due) {
        if (due < next) next = due;
        continue;
      }
      if (e.suppressed > 0) owed.push({ detail: e.detail, suppressed: e.suppressed });
      this.keys.delete(key);
    }
    this.nextDue = next;
    return owed;
  }

  /** Keys held (for tests). */
  get size(): number {
    return this.keys.size;
  }
}
