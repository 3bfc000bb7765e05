// Edge policy schema: the shape of edge-config files, how they merge, and the effective policy one request runs under.
import {
  findNodeAtLocation,
  type Node,
  type ParseError,
  parse as parseJsonc,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";
import { z } from "zod";
import { localClock } from "../core/clock.js";

/** Lists the edge may answer with, in order, when a row's own list is missing and the origin cannot help. */
export const FALLBACK_LISTS = ["popular", "trending"] as const;
export type FallbackList = (typeof FALLBACK_LISTS)[number];

const DiversitySchema = z.strictObject({
  window: z.number().int().min(0).max(100),
  maxPerGenre: z.number().int().min(1).max(100),
});

const policyShape = {
  kvCacheTtlSeconds: z.number().int().min(30).max(86_400),
  freshSeconds: z.number().int().min(0).max(604_800),
  staleWhileRevalidateSeconds: z.number().int().min(0).max(604_800),
  staleIfErrorSeconds: z.number().int().min(0).max(2_592_000),
  ttlJitterPercent: z.number().int().min(0).max(50),
  negativeCacheSeconds: z.number().int().min(0).max(86_400),
  originTimeoutMs: z.number().int().min(10).max(30_000),
  originRetries: z.number().int().min(0).max(3),
  missWaitMs: z.number().int().min(0).max(30_000).nullable(),
  candidateDepth: z.number().int().min(1).max(1_000),
  modelVersion: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .nullable(),
  fallback: z
    .array(z.enum(FALLBACK_LISTS))
    .max(FALLBACK_LISTS.length)
    .refine((l) => new Set(l).size === l.length, "a list may appear once"),
  diversity: DiversitySchema,
};

export const PolicySchema = z.strictObject(policyShape);
export type Policy = z.infer<typeof PolicySchema>;

/** Any subset of policy keys (diversity, when given, is given whole). */
export const PolicyOverridesSchema = PolicySchema.partial();
export type PolicyOverrides = z.infer<typeof PolicyOverridesSchema>;

const ROW_OVERRIDES = z.record(z.string().regex(/^[a-z0-9-]{1,32}$/), PolicyOverridesSchema);

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
const LOCAL_TIME = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, "local time as HH:MM (00:00-24:00)");

const ScheduleSchema = z
  .strictObject({
    days: z.array(z.enum(WEEKDAYS)).min(1).max(7),
    start: LOCAL_TIME,
    end: LOCAL_TIME,
  })
  .refine((s) => s.start !== s.end, { message: "start and end must differ", path: ["end"] });

const PeakSchema = z.strictObject({
  schedules: z.array(ScheduleSchema).max(16),
  policy: PolicyOverridesSchema.default({}),
  rows: ROW_OVERRIDES.default({}),
});
export type Peak = z.infer<typeof PeakSchema>;

/** What a region file (edge-config/regions/<region>.jsonc) may set. */
export const RegionFileSchema = z.strictObject({
  policy: PolicyOverridesSchema.default({}),
  rows: ROW_OVERRIDES.default({}),
  peak: PeakSchema.optional(),
});
export type RegionFile = z.infer<typeof RegionFileSchema>;

const RegionSchema = z.strictObject({
  timeZone: z.string().min(1),
  countries: z.array(z.string().regex(/^[A-Z]{2}$/, "country codes are ISO 3166-1 alpha-2")),
  colos: z.array(z.string().regex(/^[A-Z]{3}$/, "colos are three-letter IATA codes")),
  // Filled from the region's own file when the config is assembled.
  policy: PolicyOverridesSchema.optional(),
  rows: ROW_OVERRIDES.optional(),
  peak: PeakSchema.optional(),
});
export type RegionConfig = z.infer<typeof RegionSchema>;

export const EdgeConfigSchema = z
  .strictObject({
    version: z.string().min(1).max(64),
    defaultRegion: z.string().min(1),
    regions: z.record(z.string().regex(/^[a-z0-9-]{1,32}$/), RegionSchema),
    policy: PolicySchema,
    rows: ROW_OVERRIDES.default({}),
  })
  .superRefine((cfg, ctx) => {
    if (!(cfg.defaultRegion in cfg.regions)) {
      ctx.addIssue({ code: "custom", path: ["defaultRegion"], message: `"${cfg.defaultRegion}" is not a region` });
    }
    if (Object.keys(cfg.regions).length > 32) {
      ctx.addIssue({
        code: "custom",
        path: ["regions"],
        message: "at most 32 regions (availability is a 32-bit mask)",
      });
    }
    for (const [id, r] of Object.entries(cfg.regions)) {
      try {
        new Intl.DateTimeFormat("en-US", { timeZone: r.timeZone });
      } catch {
        ctx.addIssue({
          code: "custom",
          path: ["regions", id, "timeZone"],
          message: `unknown IANA time zone "${r.timeZone}"`,
        });
      }
    }
  });
export type EdgeConfig = z.infer<typeof EdgeConfigSchema>;

/** A config file that failed to parse or validate: names the file, line and key. */
export class EdgeConfigError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly key: string,
    readonly detail: string,
  ) {
    super(`${file}${line !== null ? `:${line}` : ""}: ${key ? `${key}: ` : ""}${detail}`);
    this.name = "EdgeConfigError";
  }
}

/** Parses JSONC text and checks it against `schema`; errors name the file, line and key. */
export function parseJsoncFile<T extends z.ZodType>(text: string, file: string, schema: T): z.infer<T> {
  const errors: ParseError[] = [];
  const raw = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length) {
    const e = errors[0] as ParseError;
    throw new EdgeConfigError(file, lineOf(text, e.offset), "", printParseErrorCode(e.error));
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    let path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    let message = issue.message;
    if (issue.code === "unrecognized_keys") {
      path = [...path, issue.keys[0] as string];
      message = `unknown key (allowed: ${allowedKeys(schema, issue.path)})`;
    }
    throw new EdgeConfigError(file, lineOfPath(text, path), path.join(".") || "(root)", message);
  }
  return parsed.data;
}

/** Parses one complete config document (the defaults file, or an assembled, published config). */
export function parseEdgeConfig(text: string, file: string): EdgeConfig {
  return parseJsoncFile(text, file, EdgeConfigSchema);
}

/** Parses a region file. */
export function parseRegionFile(text: string, file: string): RegionFile {
  return parseJsoncFile(text, file, RegionFileSchema);
}

/**
 * Assembles defaults and region files into one config (the document that is published and served).
 * A region file for a region the defaults do not define is an error naming that file.
 */
export function assembleConfig(
  defaults: { text: string; file: string },
  regionFiles: readonly { region: string; text: string; file: string }[],
): EdgeConfig {
  const cfg = parseEdgeConfig(defaults.text, defaults.file);
  const regions = { ...cfg.regions };
  for (const rf of regionFiles) {
    const base = regions[rf.region];
    if (!base) {
      throw new EdgeConfigError(
        rf.file,
        null,
        "",
        `no region "${rf.region}" in ${defaults.file} (regions: ${Object.keys(regions).join(", ")})`,
      );
    }
    const over = parseRegionFile(rf.text, rf.file);
    regions[rf.region] = { ...base, policy: over.policy, rows: over.rows, ...(over.peak ? { peak: over.peak } : {}) };
  }
  return { ...cfg, regions };
}

function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string {
  let s: unknown = schema;
  for (const p of path) {
    s = unwrap(s);
    const def = (s as { def?: { type?: string; shape?: Record<string, unknown>; valueType?: unknown } }).def;
    if (def?.type === "object" && def.shape) s = def.shape[String(p)];
    else if (def?.type === "record") s = def.valueType;
    else return "?";
  }
  const def = (unwrap(s) as { def?: { shape?: Record<string, unknown> } }).def;
  return def?.shape ? Object.keys(def.shape).join(", ") : "?";
}

function unwrap(s: unknown): unknown {
  let cur = s as { def?: { type?: string; innerType?: unknown; in?: unknown } };
  for (let i = 0; i < 8 && cur?.def; i++) {
    const t = cur.def.type;
    if ((t === "optional" || t === "default" || t === "nullable") && cur.def.innerType) {
      cur = cur.def.innerType as typeof cur;
    } else if (t === "pipe" && cur.def.in) cur = cur.def.in as typeof cur;
    else break;
  }
  return cur;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Line of the value at `path` (or of its nearest existing parent, for a missing key); null if unknown. */
export function lineOfPath(text: string, path: readonly (string | number)[]): number | null {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (!root) return null;
  for (let n = path.length; n >= 0; n--) {
    const node: Node | undefined = findNodeAtLocation(root, path.slice(0, n) as (string | number)[]);
    if (node) return lineOf(text, node.parent?.type === "property" ? node.parent.offset : node.offset);
  }
  return null;
}

/** Where one layer of the merge comes from: the file and the key path inside it. */
export interface LayerSource {
  file: string;
  key: string;
}

/** Which layer set one effective value. */
export interface ValueSource extends LayerSource {
  value: unknown;
}

export interface ResolvedPolicy {
  policy: Policy;
  /** True when a peak schedule of the region covers the moment. */
  peak: boolean;
  /** The schedule that matched, as written (e.g. "fri,sat 19:00-23:30"). */
  schedule: string | null;
  /** Per policy key (diversity keys as "diversity.window"): the value and which file/key set it. */
  sources: Record<string, ValueSource>;
}

/** File names the layers are reported under (the CLI's layout; the worker sees the assembled document). */
export const defaultFiles = {
  defaults: "edge-config/defaults.jsonc",
  region: (id: string) => `edge-config/regions/${id}.jsonc`,
};

/**
 * The policy one request runs under, merged in this order (later wins): defaults `policy`, defaults
 * `rows.<row>`, the region file's `policy`, its `rows.<row>`, and, while a peak schedule covers `at` in the
 * region's local time, its `peak.policy` and `peak.rows.<row>`. The result is shared between calls: read-only.
 */
export function resolvePolicy(cfg: EdgeConfig, region: string, row: string, at: number): ResolvedPolicy {
  // The result depends on the moment only through which schedule is active: memoise per config object, so
  // the request path merges layers once per region, row and schedule instead of on every request.
  const r = cfg.regions[region];
  const schedule = r?.peak ? activeSchedule(r.peak, r.timeZone, at) : null;
  let memo = resolved.get(cfg);
  if (!memo) {
    memo = new Map();
    resolved.set(cfg, memo);
  }
  const key = `${region}\u0000${row}\u0000${schedule ?? ""}`;
  let hit = memo.get(key);
  if (!hit) {
    hit = mergeLayers(cfg, region, row, schedule);
    memo.set(key, hit);
  }
  return hit;
}

const resolved = new WeakMap<EdgeConfig, Map<string, ResolvedPolicy>>();

function mergeLayers(cfg: EdgeConfig, region: string, row: string, schedule: string | null): ResolvedPolicy {
  const r = cfg.regions[region];
  const layers: [LayerSource, PolicyOverrides | undefined][] = [
    [{ file: defaultFiles.defaults, key: "policy" }, cfg.policy],
    [{ file: defaultFiles.defaults, key: `rows.${row}` }, cfg.rows[row]],
  ];
  if (r) {
    const file = defaultFiles.region(region);
    layers.push([{ file, key: "policy" }, r.policy], [{ file, key: `rows.${row}` }, r.rows?.[row]]);
    if (r.peak && schedule !== null) {
      layers.push([{ file, key: "peak.policy" }, r.peak.policy], [{ file, key: `peak.rows.${row}` }, r.peak.rows[row]]);
    }
  }
  const policy = { ...cfg.policy, diversity: { ...cfg.policy.diversity } } as Policy;
  const sources: Record<string, ValueSource> = {};
  for (const [src, over] of layers) {
    if (!over) continue;
    for (const [k, v] of Object.entries(over)) {
      if (v === undefined) continue;
      if (k === "diversity") {
        for (const [dk, dv] of Object.entries(v as Policy["diversity"])) {
          (policy.diversity as Record<string, unknown>)[dk] = dv;
          sources[`diversity.${dk}`] = { file: src.file, key: `${src.key}.diversity.${dk}`, value: dv };
        }
      } else {
        (policy as Record<string, unknown>)[k] = v;
        sources[k] = { file: src.file, key: `${src.key}.${k}`, value: v };
      }
    }
  }
  return { policy, peak: schedule !== null, schedule, sources };
}

/**
 * The policy for a request. `effectivePolicy(cfg, region, row, atEpochMs)` applies the region and its peak
 * profile; the older two-argument form `effectivePolicy(cfg, row)` gives defaults with the row's overrides.
 */
export function effectivePolicy(cfg: EdgeConfig, row: string): Policy;
export function effectivePolicy(cfg: EdgeConfig, region: string, row: string, at: number): Policy;
export function effectivePolicy(cfg: EdgeConfig, a: string, row?: string, at?: number): Policy {
  if (row === undefined) {
    const over = cfg.rows[a] ?? {};
    return { ...cfg.policy, ...over, diversity: { ...cfg.policy.diversity, ...(over.diversity ?? {}) } };
  }
  return resolvePolicy(cfg, a, row, at ?? Date.now()).policy;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * The schedule covering `at` in `timeZone` (local wall-clock time, so daylight-saving changes move it with the
 * clock), or null. A window whose end is before its start crosses midnight; `days` name the day it starts.
 */
export function activeSchedule(peak: Peak, timeZone: string, at: number): string | null {
  const clock = localClock(at, timeZone);
  const minute = Math.round(clock.hour * 60);
  const today = WEEKDAYS[clock.weekday] as (typeof WEEKDAYS)[number];
  const yesterday = WEEKDAYS[(clock.weekday + 6) % 7] as (typeof WEEKDAYS)[number];
  for (const s of peak.schedules) {
    const start = minutesOf(s.start);
    const end = minutesOf(s.end);
    const hit =
      start < end
        ? s.days.includes(today) && minute >= start && minute < end
        : (s.days.includes(today) && minute >= start) || (s.days.includes(yesterday) && minute < end);
    if (hit) return `${s.days.join(",")} ${s.start}-${s.end}`;
  }
  return null;
}

/**
 * The next moment (epoch ms, minute resolution) at or after `from` and before `from + horizonMs` when a peak
 * window of the region opens; null if none does. Pre-warming uses it to act ahead of the peak.
 */
export function nextPeakStart(cfg: EdgeConfig, region: string, from: number, horizonMs: number): number | null {
  const r = cfg.regions[region];
  if (!r?.peak || r.peak.schedules.length === 0) return null;
  const step = 60_000;
  let was = activeSchedule(r.peak, r.timeZone, from - step) !== null;
  for (let t = Math.floor(from / step) * step; t < from + horizonMs; t += step) {
    const now = activeSchedule(r.peak, r.timeZone, t) !== null;
    if (now && !was && t >= from) return t;
    was = now;
  }
  return null;
}

/** Region ids in a fixed order: bit i of an availability mask is regionIds(cfg)[i]. */
export function regionIds(cfg: EdgeConfig): string[] {
  return Object.keys(cfg.regions);
}

/** Maps a Cloudflare colo and country to a region id (colo wins), else the default region. */
export function regionFor(cfg: EdgeConfig, colo: string | undefined, country: string | undefined): string {
  const idx = regionIndex(cfg);
  return (colo && idx.colos.get(colo)) || (country && idx.countries.get(country)) || cfg.defaultRegion;
}

// Colo and country lookups per config object, built once instead of scanning every region on each request.
const regionIndexes = new WeakMap<EdgeConfig, { colos: Map<string, string>; countries: Map<string, string> }>();
function regionIndex(cfg: EdgeConfig): { colos: Map<string, string>; countries: Map<string, string> } {
  let idx = regionIndexes.get(cfg);
  if (!idx) {
    idx = { colos: new Map(), countries: new Map() };
    // The first region listing a colo or country wins, as the scan in file order did.
    for (const [id, r] of Object.entries(cfg.regions)) {
      for (const c of r.colos) if (!idx.colos.has(c)) idx.colos.set(c, id);
      for (const c of r.countries) if (!idx.countries.has(c)) idx.countries.set(c, id);
    }
    regionIndexes.set(cfg, idx);
  }
  return idx;
}
