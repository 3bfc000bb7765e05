// zod validation for Hono routes that fails with the API's error shape, naming the offending field.
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { z } from "zod";
import { ApiError, describeZodError } from "./errors.js";

/**
 * Like zValidator, but a failure throws ApiError(invalid_request) with `target.path: message`, and parsing is
 * synchronous: the schemas here have no async refinements, and the async parser costs a request extra ticks.
 */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T) {
  return zValidator(
    target,
    schema,
    (result) => {
      if (!result.success) throw new ApiError("invalid_request", describeZodError(target, result.error));
    },
    // The option is typed against zod 3's result type; zod 4's safeParse returns the same shape at run time.
    { validationFunction: ((s: z.ZodType, value: unknown) => s.safeParse(value)) as never },
  );
}
