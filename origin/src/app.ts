// The origin's HTTP API (Hono): candidate lists, popular fallback, profiles and catalogue for the edge.
import { randomBytes } from "node:crypto";
import { zValidator } from "@hono/zod-validator";
import { type Context, Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { pseudonymOf } from "../../core/pseudonym.js";
import { ROWS } from "../../core/vocab.js";
import { encodeRowList, MAX_DEPTH, OriginError, type OriginRows } from "./rows.js";

/** Media type of an encoded candidate list (core/codec.ts). */
export const CANDIDATES_CONTENT_TYPE = "application/vnd.frontrow.candidates";
/** Depth when the caller gives none: the edge's default candidateDepth. */
export const DEFAULT_DEPTH = 500;

/** The one error body every failure uses. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export interface AppOptions {
  /** Receives one line per request; default: console.log. */
  log?: (line: string) => void;
  /**
   * Shared bearer token (ORIGIN_TOKEN) the /v1 list endpoints require; unset: open (local development). The
   * edge sends it from its secret of the same name.
   */
  token?: string | undefined;
  /** Key of the HMAC that stands in for user ids in request logs (ID_HASH_KEY); unset: a random key per process. */
  idHashKey?: string | undefined;
}

/**
 * `path` (with its query) as request logs show it: user ids in `user=` and `/profiles/<id>` replaced by their
 * pseudonym under `key` (core/pseudonym.ts, the edge's rule, so both services' lines of a user line up).
 */
export async function redactPath(path: string, key: string): Promise<string> {
  const ids = /([?&]user=)([^&#]*)|(\/profiles\/)([^/?#]+)/g;
  const refs = new Map<string, string>();
  for (const m of path.matchAll(ids)) {
    const raw = (m[2] ?? m[4]) as string;
    let id = raw;
    try {
      id = decodeURIComponent(raw);
    } catch {
      // A malformed escape is hashed as sent.
    }
    refs.set(raw, await pseudonymOf(key, "user", id));
  }
  return path.replace(ids, (_m, q?: string, qid?: string, p?: string, pid?: string) =>
    q !== undefined ? `${q}${refs.get(qid as string)}` : `${p}${refs.get(pid as string)}`,
  );
}

const userId = z
  .string()
  .regex(/^\d{1,10}$/, "must be a non-negative integer")
  .transform(Number);
const regionId = z.string().min(1, "must not be empty").max(32, "must be at most 32 characters");
const depth = z
  .string()
  .regex(/^\d{1,4}$/, `must be an integer in 1..${MAX_DEPTH}`)
  .transform(Number)
  .pipe(
    z.number().min(1, `must be an integer in 1..${MAX_DEPTH}`).max(MAX_DEPTH, `must be an integer in 1..${MAX_DEPTH}`),
  );

const rowParam = z.object({
  row: z.enum(ROWS, { error: () => `must be one of ${ROWS.join(", ")}` }),
});
const candidatesQuery = z.strictObject({
  user: userId.optional(),
  region: regionId.optional(),
  depth: depth.optional(),
});
const popularQuery = z.strictObject({ region: regionId, depth: depth.optional() });
const profileParam = z.object({ userId });
const noQuery = z.strictObject({});

function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Turns a zod failure into "<target> <key>: <message>" naming the first offending input. */
function validationHook(
  result: { success: boolean; error?: { issues: readonly z.core.$ZodIssue[] } } & { target: string },
  c: Context,
) {
  if (result.success) return;
  const issue = result.error?.issues[0];
  const target = result.target === "param" ? "path" : result.target;
  let where = issue?.path.join(".") ?? "";
  let message = issue?.message ?? "invalid";
  if (issue?.code === "unrecognized_keys") {
    where = issue.keys.join(", ");
    message = "unknown parameter";
  } else if (issue?.code === "invalid_type") {
    const given = result.target === "query" ? (c.req.queries(where)?.length ?? 0) : 1;
    message = given === 0 ? "is required" : given > 1 ? "must be given once" : message;
  }
  return c.json(errorBody("bad_request", `${target} ${where}: ${message}`), 400);
}

const STATUS: Record<OriginError["code"], ContentfulStatusCode> = {
  unknown_user: 404,
  unknown_region: 400,
  bad_request: 400,
};

function binary(c: Context, bytes: Uint8Array): Response {
  return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
    "content-type": CANDIDATES_CONTENT_TYPE,
    "cache-control": "no-store",
  });
}

/** Builds the app over a ready (fitted) OriginRows. */
export function createApp(rows: OriginRows, opts: AppOptions = {}): Hono {
  const log = opts.log ?? ((line: string) => console.log(line));
  const idKey = opts.idHashKey || randomBytes(32).toString("hex");
  const app = new Hono();

  app.use(async (c, next) => {
    const t0 = performance.now();
    await next();
    const url = new URL(c.req.url);
    const path = await redactPath(`${url.pathname}${url.search}`, idKey);
    log(`${c.req.method} ${path} ${c.res.status} ${(performance.now() - t0).toFixed(1)}ms`);
  });

  // Lists, profiles and the catalogue are for the edge only when a token is set; /healthz stays open for monitors.
  // Hono's bearerAuth compares in constant time; its answers carry the origin's error shape.
  if (opts.token) {
    const wrong = { message: errorBody("unauthorized", "missing or wrong bearer token (ORIGIN_TOKEN)") };
    app.use(
      "/v1/*",
      bearerAuth({
        token: opts.token,
        noAuthenticationHeader: wrong,
        invalidToken: wrong,
        invalidAuthenticationHeader: {
          message: errorBody("invalid_request", "authorization header is not `Bearer <token>` (ORIGIN_TOKEN)"),
        },
      }),
    );
  }

  app.onError((err, c) => {
    if (err instanceof OriginError) return c.json(errorBody(err.code, err.message), STATUS[err.code]);
    if (err instanceof HTTPException) return err.getResponse();
    log(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return c.json(errorBody("internal", "internal error"), 500);
  });

  app.notFound((c) => c.json(errorBody("not_found", `no route ${c.req.method} ${new URL(c.req.url).pathname}`), 404));

  app.get("/healthz", zValidator("query", noQuery, validationHook), (c) =>
    c.json({
      ok: true,
      dataset: rows.dataset.name,
      users: rows.dataset.users.length,
      items: rows.dataset.items.length,
      generator: rows.generator.name,
    }),
  );

  app.get(
    "/v1/candidates/:row",
    zValidator("param", rowParam, validationHook),
    zValidator("query", candidatesQuery, validationHook),
    (c) => {
      const { row } = c.req.valid("param");
      const q = c.req.valid("query");
      // A region is checked even where the row ignores it: a typo should not pass silently.
      if (q.region !== undefined) rows.requireRegion(q.region);
      return binary(c, encodeRowList(rows.row(row, { userId: q.user, region: q.region }, q.depth ?? DEFAULT_DEPTH)));
    },
  );

  app.get("/v1/popular", zValidator("query", popularQuery, validationHook), (c) => {
    const q = c.req.valid("query");
    return binary(c, encodeRowList(rows.popular(q.region, q.depth ?? DEFAULT_DEPTH)));
  });

  app.get(
    "/v1/profiles/:userId",
    zValidator("param", profileParam, validationHook),
    zValidator("query", noQuery, validationHook),
    (c) => c.json(rows.profileFor(c.req.valid("param").userId)),
  );

  app.get("/v1/catalog", zValidator("query", noQuery, validationHook), (c) =>
    binary(c, encodeRowList(rows.catalogList())),
  );

  return app;
}
