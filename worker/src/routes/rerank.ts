// POST /v1/rerank: re-ranks a candidate list the caller sends, like Metarank's and Personalize's re-rank calls.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { setMetric } from "hono/timing";
import { z } from "zod";
import type { CandidateColumns } from "../../../core/features.js";
import { DEVICES, GENRES, genreMask, TAGS, tagMask } from "../../../core/vocab.js";
import { resolvePolicy } from "../../../edge-config/schema.js";
import { resolveContext } from "../context.js";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";
import { limitUser } from "../ratelimit.js";
import type { Services } from "../services.js";
import { finalise, type RankedItem, score } from "../serving/rank.js";
import { validate } from "../validate.js";
import { USER_ID } from "./params.js";

/** Most candidates one call may send: the model's latency budget is sized for this. */
export const MAX_RERANK_CANDIDATES = 1_000;
/** Largest accepted body: 1,000 candidates with every feature fit in well under this. */
export const MAX_RERANK_BODY_BYTES = 512 * 1024;

const Candidate = z.object({
  id: z.number().int().nonnegative().max(0xffffffff),
  title: z.string().max(300).optional(),
  /** The caller's own relevance score (its CF score); order of the array is taken as its ranking. */
  cfScore: z.number().finite().optional(),
  popularity: z.number().min(0).max(1).optional(),
  genres: z.array(z.enum(GENRES)).max(GENRES.length).optional(),
  tags: z.array(z.enum(TAGS)).max(TAGS.length).optional(),
  year: z.number().int().min(1800).max(2200).optional(),
});

const Body = z.object({
  userId: USER_ID,
  candidates: z
    .array(Candidate)
    .min(1)
    .refine((a) => a.length <= MAX_RERANK_CANDIDATES, { message: `at most ${MAX_RERANK_CANDIDATES} candidates` })
    // A title twice is a caller bug that would show it twice; say where rather than rank it.
    .superRefine((a, ctx) => {
      const first = new Map<number, number>();
      for (let i = 0; i < a.length; i++) {
        const id = (a[i] as { id: number }).id;
        const at = first.get(id);
        if (at !== undefined) {
          ctx.addIssue({ code: "custom", path: [i, "id"], message: `duplicate id ${id} (first at candidates.${at})` });
          return;
        }
        first.set(id, i);
      }
    }),
  limit: z.number().int().min(1).max(MAX_RERANK_CANDIDATES).optional(),
  device: z.enum(DEVICES).optional(),
  /** Drop watched titles and apply the diversity cap (default true). */
  applyRules: z.boolean().default(true),
});

export interface RerankResponse {
  requestId: string;
  userId: string;
  items: RankedItem[];
  model: { version: string | null };
  servedBy: "model" | "origin-order";
  degraded: string[];
}

const hasFeatures = (c: z.infer<typeof Candidate>) =>
  c.genres !== undefined || c.tags !== undefined || c.popularity !== undefined || c.year !== undefined;

export function rerankRoutes(svc: Services) {
  return new Hono<AppEnv>().post(
    "/",
    bodyLimit({
      maxSize: MAX_RERANK_BODY_BYTES,
      onError: () => {
        throw new ApiError("payload_too_large", `body is larger than ${MAX_RERANK_BODY_BYTES} bytes`);
      },
    }),
    async (c, next) => {
      // Hono's JSON validator reads only JSON-typed bodies: anything else would be validated as an empty object.
      const type = c.req.header("content-type") ?? "";
      if (!/^application\/json\s*(;|$)/i.test(type)) {
        throw new ApiError(
          "unsupported_media_type",
          `content-type must be application/json, got ${type ? `"${type.slice(0, 100)}"` : "none"}`,
        );
      }
      // Count before validating items so a huge list gets its own code instead of a generic zod message.
      const raw = await c.req.json().catch(() => {
        throw new ApiError("invalid_json", "body is not valid JSON");
      });
      const n = Array.isArray((raw as { candidates?: unknown })?.candidates)
        ? (raw as { candidates: unknown[] }).candidates.length
        : 0;
      if (n > MAX_RERANK_CANDIDATES) {
        throw new ApiError("too_many_candidates", `candidates: ${n} sent, at most ${MAX_RERANK_CANDIDATES} accepted`);
      }
      await next();
    },
    validate("json", Body),
    async (c) => {
      const body = c.req.valid("json");
      await limitUser(c, body.userId);
      const cfg = await svc.config.get(c.env.KV, c.env.ARTIFACT_SIGNING_KEY);
      const ctx = resolveContext(
        c.req.raw,
        cfg,
        c.env.ALLOW_CONTEXT_OVERRIDE === "true",
        body.device ?? c.req.header("x-device-type"),
      );
      // Re-ranked lists are top-picks-like: the region's policy for that row (diversity, model pin) applies.
      const policy = resolvePolicy(cfg, ctx.region, "top-picks", ctx.now).policy;
      const configProblem = svc.config.status().problem;
      const degraded: string[] = configProblem ? [configProblem] : [];
      const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
      const needCatalog = body.candidates.some((cand) => !hasFeatures(cand));
      const t0 = Date.now();
      const [catalog, loaded, model] = await Promise.all([
        needCatalog ? svc.catalog.get(c.env.KV, degraded) : Promise.resolve(null),
        svc.profiles.get(c.env.KV, body.userId, degraded, policy.kvCacheTtlSeconds),
        svc.models.get(c.env.KV, waitUntil, {
          region: ctx.region,
          pin: policy.modelVersion,
          signingKey: c.env.ARTIFACT_SIGNING_KEY,
        }),
      ]);
      setMetric(c, "kv", Date.now() - t0);
      if (catalog) {
        const unknown = body.candidates
          .filter((cand) => !hasFeatures(cand) && !catalog.indexOf.has(cand.id))
          .map((cand) => cand.id);
        if (unknown.length) {
          throw new ApiError(
            "unknown_items",
            `candidates: ${unknown.length} id(s) not in the catalog and sent without features: ${unknown.slice(0, 10).join(", ")}`,
          );
        }
      }
      const n = body.candidates.length;
      const cols = {
        size: n,
        ids: new Uint32Array(n),
        cfScore: new Float32Array(n),
        popularity: new Float32Array(n),
        genres: new Uint32Array(n),
        tags: new Uint32Array(n),
        year: new Uint16Array(n),
        regions: new Uint32Array(n),
        primaryGenre: new Uint8Array(n),
      };
      const titles: string[] = new Array(n);
      body.candidates.forEach((cand, i) => {
        const at = catalog?.indexOf.get(cand.id);
        const cat = at === undefined ? null : (catalog?.list ?? null);
        const j = at ?? 0;
        cols.ids[i] = cand.id;
        cols.cfScore[i] = cand.cfScore ?? 0;
        cols.popularity[i] = cand.popularity ?? cat?.popularity[j] ?? 0;
        const genres = cand.genres ? genreMask(cand.genres) : (cat?.genres[j] ?? 0);
        cols.genres[i] = genres;
        cols.tags[i] = cand.tags ? tagMask(cand.tags) : (cat?.tags[j] ?? 0);
        cols.year[i] = cand.year ?? cat?.year[j] ?? ctx.year;
        // Titles the caller sends come without availability data: they are taken as available.
        cols.regions[i] = cat ? (cat.regions[j] as number) : 0xffffffff;
        cols.primaryGenre[i] = cand.genres
          ? cand.genres[0]
            ? GENRES.indexOf(cand.genres[0])
            : 255
          : (cat?.primaryGenre[j] ?? 255);
        titles[i] = cand.title ?? (cat ? cat.title(j) : "");
      });
      const profile = loaded?.profile ?? null;
      const spent = { features: 0, model: 0 };
      const featured: CandidateColumns = cols;
      // Without the catalog, id-only candidates have no features to score: keep the caller's order.
      const ranker = needCatalog && !catalog ? null : model.ranker;
      if (model.problem && (!model.ranker || policy.modelVersion)) degraded.push(model.problem);
      const scored = await score(featured, profile, ctx, ranker, spent);
      if (scored.problem) degraded.push(scored.problem);
      setMetric(c, "features", spent.features);
      setMetric(c, "model", spent.model);
      setMetric(c, "origin", 0);
      const regionIndex = catalog ? catalog.list.header.regions.indexOf(ctx.region) : -1;
      const limit = body.limit ?? n;
      const { items } = finalise(
        { ...cols, title: (i) => titles[i] as string },
        scored,
        body.applyRules
          ? {
              watched: new Set(profile?.watched ?? []),
              regionBit: regionIndex >= 0 ? regionIndex : null,
              diversity: policy.diversity,
              limit,
            }
          : { watched: new Set(), regionBit: null, diversity: { window: 0, maxPerGenre: 1 }, limit },
      );
      const res: RerankResponse = {
        requestId: c.get("requestId"),
        userId: body.userId,
        items,
        model: { version: scored.modelVersion },
        servedBy: scored.modelVersion ? "model" : "origin-order",
        degraded,
      };
      return c.json(res, 200);
    },
  );
}
