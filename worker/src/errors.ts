// One error type for the API: a code enum mapped to an HTTP status, rendered in one JSON shape.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import type { AppEnv } from "./env.js";
import { redactUser } from "./privacy.js";

/** Error codes and the status each maps to. */
export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_json: 400,
  too_many_candidates: 400,
  unknown_items: 400,
  unauthorized: 401,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
} as const satisfies Record<string, ContentfulStatusCode>;
export type ErrorCode = keyof typeof ERROR_STATUS;

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId: string };
}

/** Thrown anywhere in a request; `onError` turns it into the error shape with its code's status. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

/** Formats the first zod issue as `where.path: message`, e.g. `query.limit: Too big: expected number to be <=100`. */
export function describeZodError(where: string, error: { issues: readonly z.core.$ZodIssue[] }): string {
  const issue = error.issues[0];
  const path = issue?.path.length ? `${where}.${issue.path.join(".")}` : where;
  return `${path}: ${issue?.message ?? "invalid"}`;
}

/** Renders an error in the one JSON shape. */
export function errorResponse(c: Context<AppEnv>, err: ApiError): Response {
  const body: ErrorBody = { error: { code: err.code, message: err.message, requestId: c.get("requestId") ?? "" } };
  return c.json(body, err.status);
}

/** The app's onError: known errors keep their code; anything else is logged and reported as `internal`. */
export function onError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof ApiError) return errorResponse(c, err);
  if (err instanceof HTTPException) {
    const code: ErrorCode =
      err.status === 413 ? "payload_too_large" : err.status === 401 ? "unauthorized" : "invalid_request";
    return errorResponse(c, new ApiError(code, err.message || "bad request"));
  }
  const user = c.get("user");
  const error = String(err?.stack ?? err);
  console.error(
    JSON.stringify({
      level: "error",
      requestId: c.get("requestId"),
      ...(user ? { user: user.ref } : {}),
      error: user ? redactUser(error, user.id, user.ref) : error,
    }),
  );
  return errorResponse(c, new ApiError("internal", "internal error"));
}
