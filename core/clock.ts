// Local wall-clock time of an instant in an IANA time zone, via Intl (present in workerd, Node and browsers).

export interface LocalClock {
  hour: number;
  weekday: number;
  year: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** True if the runtime knows the zone. */
export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    });
    formatters.set(tz, f);
  }
  return f;
}

const QUARTER_HOUR = 15 * 60_000;
const offsets = new Map<string, { bucket: number; offsetMs: number }>();

/**
 * UTC offset of `tz` at `epochMs`, from Intl once per zone and quarter hour (time-zone changes happen on UTC
 * quarter hours), so the per-request cost is a map lookup instead of formatting a date.
 */
function offsetAt(epochMs: number, tz: string): number {
  const bucket = Math.floor(epochMs / QUARTER_HOUR);
  const hit = offsets.get(tz);
  if (hit && hit.bucket === bucket) return hit.offsetMs;
  const at = bucket * QUARTER_HOUR;
  const parts = formatter(tz).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? "0");
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"));
  const offsetMs = wall - at;
  offsets.set(tz, { bucket, offsetMs });
  return offsetMs;
}

/** Local hour (with minutes as a fraction), weekday (0 = Sunday) and year of `epochMs` in `tz`. */
export function localClock(epochMs: number, tz: string): LocalClock {
  const local = new Date(epochMs + offsetAt(epochMs, tz));
  return {
    hour: local.getUTCHours() + local.getUTCMinutes() / 60,
    weekday: local.getUTCDay(),
    year: local.getUTCFullYear(),
  };
}
