// The fault run's wall-clock schedule: a quiet lead-in, then fault windows each followed by a gap long enough to measure recovery.

/** One fault window, wall ms from the start of the replay. */
export interface Window {
  fromMs: number;
  toMs: number;
}

export interface ScheduleOptions {
  /** Length of the replay, wall ms. */
  wallMs: number;
  /** Number of fault windows. */
  faults: number;
  /** Quiet time before the first fault (the baseline), ms. */
  leadMs: number;
  /** Length of each fault window, ms. */
  windowMs: number;
  /**
   * Shortest quiet time after each window, the last one included: the worker's pointer re-read interval, plus
   * the recovery rule's sustain time, plus a margin, so every fault's recovery can be seen before the next
   * fault starts or the run ends.
   */
  minGapMs: number;
}

/** Shortest replay that fits the schedule. */
export function minScheduleMs(o: Omit<ScheduleOptions, "wallMs">): number {
  return o.leadMs + o.faults * (o.windowMs + o.minGapMs);
}

/**
 * Places the windows: the lead-in, then window, gap, window, gap, ... with the time beyond the minimum shared
 * out evenly among the gaps (the last gap is the tail after the last fault). Throws when the replay is too short.
 */
export function faultSchedule(o: ScheduleOptions): Window[] {
  const min = minScheduleMs(o);
  if (o.wallMs < min) {
    throw new RangeError(
      `a fault run of ${o.faults} windows needs at least ${Math.ceil(min / 1000)} s (lead-in ${o.leadMs / 1000} s, windows of ${o.windowMs / 1000} s, gaps of at least ${o.minGapMs / 1000} s); got ${o.wallMs / 1000} s`,
    );
  }
  const gap = Math.floor((o.wallMs - o.leadMs - o.faults * o.windowMs) / o.faults);
  return Array.from({ length: o.faults }, (_, i) => {
    const fromMs = o.leadMs + i * (o.windowMs + gap);
    return { fromMs, toMs: fromMs + o.windowMs };
  });
}
