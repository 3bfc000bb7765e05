// zod validation for Hono routes that fails with the API's error shape, naming the offending field.
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { z } from "zod";
import { ApiError, describeZodError } from "./errors.js";

/** Like zValidator, but a failure throws ApiError(invalid_request) with `target.path: message`. */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T) {
  return zValidator(target, schema, (result) => {
    if (!result.success) throw new ApiError("invalid_request", describeZodError(target, result.error));
  });
}
