// Request context: region and local time from request.cf (or test/demo headers), device from header or query.
import { isTimeZone, localClock } from "../../core/clock.js";
import type { RankingContext } from "../../core/features.js";
import { DEVICES, type Device } from "../../core/vocab.js";
import { type EdgeConfig, regionFor } from "../../edge-config/schema.js";
import { ApiError } from "./errors.js";

export const OVERRIDE_HEADERS = {
  region: "x-frontrow-region",
  timeZone: "x-frontrow-timezone",
  now: "x-frontrow-now",
} as const;

export interface ResolvedContext extends RankingContext {
  timeZone: string;
  now: number;
}

interface CfLike {
  colo?: unknown;
  country?: unknown;
  timezone?: unknown;
}

/**
 * Resolves where and when the request is. Override headers are honoured only when the deployment allows it
 * (local demo and tests): in production a client must not be able to claim another region's catalogue.
 */
export function resolveContext(
  req: Request,
  cfg: EdgeConfig,
  allowOverride: boolean,
  device: string | undefined,
): ResolvedContext {
  const cf = ((req as { cf?: CfLike }).cf ?? {}) as CfLike;
  const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  let region = regionFor(cfg, str(cf.colo), str(cf.country));
  let timeZone = str(cf.timezone);
  let now = Date.now();
  if (allowOverride) {
    const r = req.headers.get(OVERRIDE_HEADERS.region);
    if (r !== null) {
      if (!(r in cfg.regions))
        throw new ApiError("invalid_request", `header ${OVERRIDE_HEADERS.region}: unknown region "${r}"`);
      region = r;
      timeZone = undefined;
    }
    const tz = req.headers.get(OVERRIDE_HEADERS.timeZone);
    if (tz !== null) {
      if (!isTimeZone(tz))
        throw new ApiError("invalid_request", `header ${OVERRIDE_HEADERS.timeZone}: unknown time zone "${tz}"`);
      timeZone = tz;
    }
    const at = req.headers.get(OVERRIDE_HEADERS.now);
    if (at !== null) {
      const t = Date.parse(at);
      if (!Number.isFinite(t))
        throw new ApiError("invalid_request", `header ${OVERRIDE_HEADERS.now}: not an ISO date-time`);
      now = t;
    }
  }
  if (!timeZone || !isTimeZone(timeZone)) timeZone = (cfg.regions[region] ?? { timeZone: "UTC" }).timeZone;
  const clock = localClock(now, timeZone);
  return {
    region,
    timeZone,
    now,
    localHour: clock.hour,
    weekday: clock.weekday,
    year: clock.year,
    device: parseDevice(device),
  };
}

function parseDevice(raw: string | undefined): Device {
  if (raw === undefined || raw === "") return "web";
  const d = raw.toLowerCase();
  if ((DEVICES as readonly string[]).includes(d)) return d as Device;
  throw new ApiError("invalid_request", `device: expected one of ${DEVICES.join(", ")}, got "${raw}"`);
}
