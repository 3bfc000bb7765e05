// Local wall-clock time of an instant in an IANA time zone, via Intl (present in workerd, Node and browsers).

export interface LocalClock {
  hour: number;
  weekday: number;
  year: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

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
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Local hour (with minutes as a fraction), weekday (0 = Sunday) and year of `epochMs` in `tz`. */
export function localClock(epochMs: number, tz: string): LocalClock {
  const parts = formatter(tz).formatToParts(new Date(epochMs));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return {
    hour: Number(get("hour")) + Number(get("minute")) / 60,
    weekday: WEEKDAYS[get("weekday")] ?? 0,
    year: Number(get("year")),
  };
}
