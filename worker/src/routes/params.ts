// The recommendations route's parameters: zod schemas are the contract; a fast path takes the common well-formed URL.
import { z } from "zod";
import { DEVICES, type Device, ROWS, type Row } from "../../../core/vocab.js";

const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const USER_ID = z.string().regex(USER_ID_PATTERN, "must be 1-64 characters of [A-Za-z0-9_-]");

export const Params = z.object({ userId: USER_ID });

/**
 * A query parameter given once. Repeated, the validator sees an array; which value was meant is a guess, so it
 * is refused. Unknown parameters are ignored: clients and CDNs add cache-busters and tracking tags, and an older
 * worker must not break a newer client.
 */
const once = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v, ctx) => {
    if (!Array.isArray(v)) return v;
    ctx.addIssue({ code: "custom", message: "given more than once" });
    return z.NEVER;
  }, schema);

export const DEFAULT_ROW: Row = "top-picks";
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

export const Query = z.object({
  row: once(z.enum(ROWS).default(DEFAULT_ROW)),
  limit: once(z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT)),
  device: once(z.enum(DEVICES).optional()),
});

/** The query as the route reads it once valid: what `Query` outputs. */
export type RecommendationsQuery = z.output<typeof Query>;

const ROW_SET: ReadonlySet<string> = new Set(ROWS);
const DEVICE_SET: ReadonlySet<string> = new Set(DEVICES);
// A limit written plainly: "1" to "100", no sign, no leading zero, no exponent, no spaces (all of which zod's
// coercion reads too, so they go to zod).
const PLAIN_LIMIT = /^[1-9][0-9]?$|^100$/;

/** `Params`' output for a user id the pattern accepts, else null (zod then decides and words the error). */
export function plainParam(userId: string | undefined): z.output<typeof Params> | null {
  return userId !== undefined && USER_ID_PATTERN.test(userId) ? { userId } : null;
}

/**
 * `Query`'s output for a plainly written, valid query string, without zod; null lets zod decide. It accepts only
 * what `Query` accepts (as Hono parses the query for it), with the same values, and a property test holds the two
 * together: each of `row`, `limit` and `device` at most once, with a value the schema takes as it is, and nothing
 * percent-encoded or with `+`. Everything else, valid or not, goes to zod, which writes every error message. Why:
 * in workerd zod's generic parse of the route's two objects, with Hono's query-to-arrays step, cost about a tenth
 * of a whole recommendations request (measured end to end), and the requests devices send are plain.
 */
export function plainQuery(url: string): RecommendationsQuery | null {
  const q = url.indexOf("?");
  const search = q < 0 ? "" : url.slice(q + 1);
  if (/[%+#]/.test(search) || (q < 0 && url.includes("#"))) return null;
  let row: Row = DEFAULT_ROW;
  let limit = DEFAULT_LIMIT;
  let device: Device | undefined;
  let seen = 0;
  if (search !== "") {
    for (const pair of search.split("&")) {
      const eq = pair.indexOf("=");
      const name = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? "" : pair.slice(eq + 1);
      if (name === "row") {
        if (seen & 1 || !ROW_SET.has(value)) return null;
        row = value as Row;
        seen |= 1;
      } else if (name === "limit") {
        if (seen & 2 || !PLAIN_LIMIT.test(value)) return null;
        limit = Number(value);
        seen |= 2;
      } else if (name === "device") {
        if (seen & 4 || !DEVICE_SET.has(value)) return null;
        device = value as Device;
        seen |= 4;
      }
    }
  }
  return device === undefined ? { row, limit } : { row, limit, device };
}
