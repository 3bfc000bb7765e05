// Edge policy schema: the shape of edge-config files and the effective policy one request runs under.
import { type ParseError, parse as parseJsonc, printParseErrorCode } from "jsonc-parser";
import { z } from "zod";

export const PolicySchema = z.object({
  kvCacheTtlSeconds: z.number().int().min(30).max(86_400),
  freshSeconds: z.number().int().min(0).max(604_800),
  staleWhileRevalidateSeconds: z.number().int().min(0).max(604_800),
  staleIfErrorSeconds: z.number().int().min(0).max(2_592_000),
  originTimeoutMs: z.number().int().min(10).max(30_000),
  candidateDepth: z.number().int().min(1).max(2_000),
  diversity: z.object({
    window: z.number().int().min(0).max(100),
    maxPerGenre: z.number().int().min(1).max(100),
  }),
});
export type Policy = z.infer<typeof PolicySchema>;

const RegionSchema = z.object({
  timeZone: z.string().min(1),
  countries: z.array(z.string().regex(/^[A-Z]{2}$/, "country codes are ISO 3166-1 alpha-2")),
  colos: z.array(z.string().regex(/^[A-Z]{3}$/, "colos are three-letter IATA codes")),
});

export const EdgeConfigSchema = z
  .object({
    version: z.string().min(1).max(64),
    defaultRegion: z.string().min(1),
    regions: z.record(z.string().regex(/^[a-z0-9-]{1,32}$/), RegionSchema),
    policy: PolicySchema,
    rows: z.record(z.string(), PolicySchema.partial()).default({}),
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
  });
export type EdgeConfig = z.infer<typeof EdgeConfigSchema>;

/** Parses JSONC text into a checked config; errors name the file, line and key. */
export function parseEdgeConfig(text: string, file: string): EdgeConfig {
  const errors: ParseError[] = [];
  const raw = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length) {
    const e = errors[0] as ParseError;
    throw new Error(`${file}:${lineOf(text, e.offset)}: ${printParseErrorCode(e.error)}`);
  }
  const parsed = EdgeConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.join(".") ?? "";
    throw new Error(`${file}: ${key || "(root)"}: ${issue?.message}`);
  }
  return parsed.data;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The policy for one row: defaults with the row's overrides on top. */
export function effectivePolicy(cfg: EdgeConfig, row: string): Policy {
  const over = cfg.rows[row] ?? {};
  return { ...cfg.policy, ...over, diversity: { ...cfg.policy.diversity, ...(over.diversity ?? {}) } };
}

/** Region ids in a fixed order: bit i of an availability mask is regionIds(cfg)[i]. */
export function regionIds(cfg: EdgeConfig): string[] {
  return Object.keys(cfg.regions);
}

/** Maps a Cloudflare colo and country to a region id (colo wins), else the default region. */
export function regionFor(cfg: EdgeConfig, colo: string | undefined, country: string | undefined): string {
  for (const [id, r] of Object.entries(cfg.regions)) if (colo && r.colos.includes(colo)) return id;
  for (const [id, r] of Object.entries(cfg.regions)) if (country && r.countries.includes(country)) return id;
  return cfg.defaultRegion;
}
