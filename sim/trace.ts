// The peak-hour simulation's traffic trace: a seeded, diurnal, multi-region request stream over catalog users.
import { localClock } from "../core/clock.js";
import { DEVICES, type Device, type Row } from "../core/vocab.js";
import { Rng } from "../origin/src/random.js";

/** One region of the trace: where its users live, how big it is, and its users ranked by activity. */
export interface TraceRegion {
  id: string;
  timeZone: string;
  /** Share of the day's traffic relative to the other regions (normalised). */
  weight: number;
  /** Catalog user ids, most active first: rank k is drawn with probability proportional to 1 / k^s. */
  users: readonly number[];
}

export interface TraceOptions {
  seed: number;
  regions: readonly TraceRegion[];
  /** The simulated day starts here (epoch ms; midnight UTC of a day). */
  dayStart: number;
  /** Wall-clock length of the replayed day, ms (24 simulated hours are compressed into it). */
  wallMs: number;
  /** Requests per wall second at the busiest minute of the day, all regions together. */
  peakRps: number;
  /** Zipf exponent of user activity. */
  zipfS: number;
  /** Share of requests from new sign-ups: user ids the catalog does not know (no list anywhere). */
  newUserShare: number;
  /** Per user, at most this many requests in any 60 s of wall time (a per-user rate limit's budget). */
  maxUserPerMinute: number;
}

/** One device request of the trace. */
export interface TraceEvent {
  /** Wall-clock offset from the start of the replay, ms. */
  atMs: number;
  /** The simulated moment (epoch ms), sent as x-frontrow-now. */
  simTime: number;
  region: string;
  userId: string;
  row: Row;
  device: Device;
  /** The device's own address (CF-Connecting-IP): one per user and device. */
  ip: string;
  /** True for a new sign-up (not in the catalog). */
  newUser: boolean;
}

/** How often each row is asked for: a home screen opens with top picks, then trending, then the rest. */
export const ROW_MIX: readonly [Row, number][] = [
  ["top-picks", 0.55],
  ["trending", 0.3],
  ["because-you-watched", 0.15],
];
const DEVICE_MIX: readonly [Device, number][] = [
  ["tv", 0.45],
  ["phone", 0.3],
  ["tablet", 0.1],
  ["web", 0.15],
];

/** Requests a new sign-up makes (its first screens) before the next new id appears. */
export const NEW_USER_REQUESTS = 3;

/** Where the evening peak sits, local hours (mid-point of the 19:00-23:00 prime-time schedules). */
export const PEAK_LOCAL_HOUR = 20.75;
const PEAK_WIDTH_HOURS = 2.2;
const LUNCH_HOUR = 12.5;

/**
 * Relative demand at a local hour (0-24): a night floor, a small lunchtime bump and the evening peak, with the
 * maximum 1 at PEAK_LOCAL_HOUR. Distances wrap around midnight, so 00:30 sits close to the evening.
 */
export function diurnal(localHour: number): number {
  const d = (a: number, b: number) => {
    const x = Math.abs(a - b) % 24;
    return Math.min(x, 24 - x);
  };
  const evening = Math.exp(-(d(localHour, PEAK_LOCAL_HOUR) ** 2) / (2 * PEAK_WIDTH_HOURS ** 2));
  const lunch = 0.18 * Math.exp(-(d(localHour, LUNCH_HOUR) ** 2) / (2 * 1.5 ** 2));
  const floor = 0.06;
  const peakValue = floor + 1 + 0.18 * Math.exp(-(d(PEAK_LOCAL_HOUR, LUNCH_HOUR) ** 2) / (2 * 1.5 ** 2));
  return (floor + evening + lunch) / peakValue;
}

/** Cumulative Zipf weights for ranks 1..n with exponent s, for sampling by binary search. */
export function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let k = 1; k <= n; k++) {
    acc += 1 / k ** s;
    cdf[k - 1] = acc;
  }
  for (let i = 0; i < n; i++) cdf[i] = (cdf[i] as number) / acc;
  return cdf;
}

/** Index (0-based rank) of the first cdf entry >= u. */
export function sampleCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cdf[mid] as number) >= u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function pick<T>(mix: readonly [T, number][], u: number): T {
  let acc = 0;
  for (const [v, w] of mix) {
    acc += w;
    if (u < acc) return v;
  }
  return (mix.at(-1) as [T, number])[0];
}

function poisson(rng: Rng, mean: number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  for (;;) {
    p *= rng.next();
    if (p <= l) return k;
    k++;
  }
}

/** A stable, unique private address per user and device (10.x.y.z from userKey * 4 + device index). */
export function deviceIp(userKey: number, device: Device): string {
  const n = userKey * DEVICES.length + DEVICES.indexOf(device);
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** Simulated milliseconds per wall millisecond. */
export function compression(opts: Pick<TraceOptions, "wallMs">): number {
  return 86_400_000 / opts.wallMs;
}

/** Requests per wall second of each region at a simulated moment, before scaling to peakRps. */
function rawRates(opts: TraceOptions, simTime: number): number[] {
  const total = opts.regions.reduce((a, r) => a + r.weight, 0);
  return opts.regions.map((r) => (r.weight / total) * diurnal(localClock(simTime, r.timeZone).hour));
}

/**
 * Generates the day: per simulated minute and region a Poisson count at that region's diurnal rate (scaled so
 * the busiest minute of all regions together asks peakRps), spread uniformly inside the minute; each request
 * draws a user by Zipf rank within its region (or a new sign-up), a row and a device. A user already at
 * maxUserPerMinute in the last wall minute is redrawn, so no user exceeds a realistic per-user rate.
 */
export function generateTrace(opts: TraceOptions): TraceEvent[] {
  const rng = new Rng(opts.seed);
  const minutes = 1440;
  const binWallMs = opts.wallMs / minutes;
  let peak = 0;
  for (let m = 0; m < minutes; m++) {
    const sum = rawRates(opts, opts.dayStart + m * 60_000).reduce((a, b) => a + b, 0);
    peak = Math.max(peak, sum);
  }
  const scale = opts.peakRps / peak;
  const cdfs = opts.regions.map((r) => zipfCdf(r.users.length, opts.zipfS));
  const recent = new Map<string, number[]>();
  const events: TraceEvent[] = [];
  let newUserSeq = 0;
  for (let m = 0; m < minutes; m++) {
    const simMinute = opts.dayStart + m * 60_000;
    const rates = rawRates(opts, simMinute);
    const minuteEvents: TraceEvent[] = [];
    opts.regions.forEach((region, ri) => {
      const n = poisson(rng, (rates[ri] as number) * scale * (binWallMs / 1000));
      // Times first, in order, so the per-user rate check sees this region's requests chronologically.
      const fracs = Array.from({ length: n }, () => rng.next()).sort((a, b) => a - b);
      for (const frac of fracs) {
        const atMs = (m + frac) * binWallMs;
        const device = pick(DEVICE_MIX, rng.next());
        const row = pick(ROW_MIX, rng.next());
        let userId: string;
        let userKey: number;
        const newUser = rng.next() < opts.newUserShare;
        if (newUser) {
          newUserSeq++;
          // A sign-up opens a few rows: each new id is used for NEW_USER_REQUESTS requests in a row.
          userKey = 900_000 + ri * 100_000 + Math.floor(newUserSeq / NEW_USER_REQUESTS);
          userId = String(userKey);
        } else {
          userKey = drawUser(region, cdfs[ri] as Float64Array, rng, recent, atMs, opts.maxUserPerMinute);
          userId = String(userKey);
        }
        minuteEvents.push({
          atMs,
          simTime: opts.dayStart + Math.round(atMs * compression(opts)),
          region: region.id,
          userId,
          row,
          device,
          ip: deviceIp(userKey, device),
          newUser,
        });
      }
    });
    minuteEvents.sort((a, b) => a.atMs - b.atMs);
    events.push(...minuteEvents);
  }
  return events;
}

function drawUser(
  region: TraceRegion,
  cdf: Float64Array,
  rng: Rng,
  recent: Map<string, number[]>,
  atMs: number,
  maxPerMinute: number,
): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const user = region.users[sampleCdf(cdf, rng.next())] as number;
    const key = String(user);
    const times = recent.get(key) ?? [];
    while (times.length && (times[0] as number) <= atMs - 60_000) times.shift();
    if (times.length < maxPerMinute) {
      times.push(atMs);
      recent.set(key, times);
      return user;
    }
  }
  throw new Error(
    `region ${region.id}: every drawn user is at ${maxPerMinute} requests per minute; lower --rate or raise the limit`,
  );
}

/** Most requests any one user (or device address) sends in a sliding 60 s of wall time. */
export function maxPerMinute(events: readonly TraceEvent[], key: (e: TraceEvent) => string): number {
  const byKey = new Map<string, number[]>();
  for (const e of events) {
    const list = byKey.get(key(e)) ?? [];
    list.push(e.atMs);
    byKey.set(key(e), list);
  }
  let best = 0;
  for (const times of byKey.values()) {
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while ((times[hi] as number) - (times[lo] as number) >= 60_000) lo++;
      best = Math.max(best, hi - lo + 1);
    }
  }
  return best;
}
