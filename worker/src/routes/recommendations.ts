// GET /v1/recommendations/:userId: one row, re-ranked for this user, device and moment.
import { Hono } from "hono";
import { setMetric } from "hono/timing";
import type { DEVICES, ROWS } from "../../../core/vocab.js";
import { resolvePolicy } from "../../../edge-config/schema.js";
import { regionBitIn } from "../config.js";
import { resolveContext } from "../context.js";
import type { AppEnv } from "../env.js";
import { redactUser } from "../privacy.js";
import { limitUser } from "../ratelimit.js";
import type { Services } from "../services.js";
import { type CacheStatus, resolveCandidates } from "../serving/candidates.js";
import { finalise, head, type RankedItem, score } from "../serving/rank.js";
import { validate } from "../validate.js";
import { Params, plainParam, plainQuery, Query } from "./params.js";

/** The serving tier that answered, best first. */
export type ServedBy = "model" | "origin-order" | "stale" | "fallback-popular" | "fallback-trending" | "empty";

export interface RecommendationsResponse {
  requestId: string;
  userId: string;
  row: (typeof ROWS)[number];
  items: RankedItem[];
  model: { version: string | null };
  servedBy: ServedBy;
  cache: { status: CacheStatus; ageSeconds: number | null };
  context: { region: string; timeZone: string; localHour: number; device: (typeof DEVICES)[number] };
  /** The config version in force and whether the region's peak profile applied at the request's moment. */
  config: { version: string; profile: "peak" | "base" };
  /** Why a lower tier answered or a part was skipped; empty when everything worked. */
  degraded: string[];
}

export function recommendationsRoutes(svc: Services) {
  return new Hono<AppEnv>().get(
    "/:userId",
    validate("param", Params, (c) => plainParam(c.req.param("userId"))),
    validate("query", Query, (c) => plainQuery(c.req.url)),
    async (c) => {
      const { userId } = c.req.valid("param");
      const { row, limit, device } = c.req.valid("query");
      const userRef = await limitUser(c, userId);
      const cfg = await svc.config.get(c.env.KV, c.env.ARTIFACT_SIGNING_KEY);
      const ctx = resolveContext(
        c.req.raw,
        cfg,
        c.env.ALLOW_CONTEXT_OVERRIDE === "true",
        device ?? c.req.header("x-device-type"),
      );
      // The region's policy at the request's moment (its local time decides the peak profile).
      const resolved = resolvePolicy(cfg, ctx.region, row, ctx.now);
      const policy = resolved.policy;
      const started = Date.now();
      const spent = { kv: 0, origin: 0, features: 0, model: 0 };
      const counts = { originFetches: 0, originErrors: 0 };
      const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
      const profileProblems: string[] = [];
      const t0 = Date.now();
      const [candidates, loaded, model] = await Promise.all([
        resolveCandidates(
          {
            store: svc.lists(c.env),
            originUrl: c.env.ORIGIN_URL,
            originToken: c.env.ORIGIN_TOKEN,
            now: Date.now(),
            waitUntil,
            spent,
            counts,
            countBackground: (ok) => svc.ops.recordOriginFetch(c.env, ctx.region, ok, waitUntil),
            negative: svc.negative,
          },
          { row, userId, userRef, region: ctx.region, policy },
        ),
        svc.profiles.get(c.env.KV, userId, profileProblems, policy.kvCacheTtlSeconds).finally(() => {
          spent.kv = Math.max(spent.kv, Date.now() - t0);
        }),
        svc.models.get(c.env.KV, waitUntil, {
          region: ctx.region,
          pin: policy.modelVersion,
          signingKey: c.env.ARTIFACT_SIGNING_KEY,
        }),
      ]);
      const configProblem = svc.config.status().problem;
      const degraded = [...(configProblem ? [configProblem] : []), ...candidates.degraded, ...profileProblems];
      const list = candidates.list;
      let items: RankedItem[] = [];
      let servedBy: ServedBy = "empty";
      let modelVersion: string | null = null;
      const profile = loaded?.profile ?? null;
      if (list) {
        const rules = {
          watched: loaded?.watched ?? new Set<number>(),
          regionBit: regionBitIn(list.header.regions, ctx.region),
          diversity: policy.diversity,
          limit,
        };
        if (candidates.tier === "fallback-popular" || candidates.tier === "fallback-trending") {
          // A fallback list is already in its own order (most popular first): rules only, no ranking.
          items = finalise(list, { scores: head(list, policy.candidateDepth).popularity, byScore: false }, rules).items;
          servedBy = candidates.tier;
        } else {
          const scored = await score(head(list, policy.candidateDepth), profile, ctx, model.ranker, spent);
          // A model problem is news when it cost the model tier, or when a pinned version is not the one serving.
          if (model.problem && (!model.ranker || policy.modelVersion)) degraded.push(model.problem);
          if (scored.problem) degraded.push(scored.problem);
          modelVersion = scored.modelVersion;
          items = finalise(list, scored, rules).items;
          servedBy = candidates.tier === "stale" ? "stale" : modelVersion ? "model" : "origin-order";
        }
      }
      setMetric(c, "kv", spent.kv);
      setMetric(c, "origin", spent.origin);
      setMetric(c, "features", spent.features);
      setMetric(c, "model", spent.model);
      // During an outage every request degrades alike: one line per region, row and tier per window, with the
      // count of the lines skipped since the last; the response and /ops still report every request.
      const admitted = degraded.length ? svc.degradedLog.admit({ region: ctx.region, row, servedBy }) : null;
      if (admitted?.write) {
        console.warn(
          JSON.stringify({
            level: "warn",
            event: "degraded",
            requestId: c.get("requestId"),
            user: userRef,
            region: ctx.region,
            row,
            servedBy,
            // KV keys and origin URLs in the reasons carry the user id: logs get the pseudonym.
            degraded: degraded.map((d) => redactUser(d, userId, userRef)),
            ...(admitted.suppressed ? { suppressed: admitted.suppressed } : {}),
          }),
        );
      }
      // Skips still owed by a key quiet for a window after its own (its outage over, say): nothing runs between
      // requests, so a later request writes them.
      for (const owed of svc.degradedLog.drain()) {
        console.warn(
          JSON.stringify({ level: "warn", event: "degraded-suppressed", ...owed.detail, suppressed: owed.suppressed }),
        );
      }
      const body: RecommendationsResponse = {
        requestId: c.get("requestId"),
        userId,
        row,
        items,
        model: { version: modelVersion },
        servedBy,
        cache: { status: candidates.status, ageSeconds: candidates.ageSeconds },
        context: {
          region: ctx.region,
          timeZone: ctx.timeZone,
          localHour: Math.floor(ctx.localHour),
          device: ctx.device,
        },
        config: { version: cfg.version, profile: resolved.peak ? "peak" : "base" },
        degraded,
      };
      svc.ops.record(
        c.env,
        {
          region: ctx.region,
          cacheStatus: candidates.status,
          fallback: candidates.status === "fallback",
          ...counts,
          latencyMs: Date.now() - started,
          modelVersion,
          configVersion: cfg.version,
          at: Date.now(),
          ...(row === "top-picks" ? { userId } : {}),
        },
        waitUntil,
      );
      return c.json(body, 200);
    },
  );
}
