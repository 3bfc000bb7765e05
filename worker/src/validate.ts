// zod validation for Hono routes that fails with the API's error shape, naming the offending field.
import { zValidator } from "@hono/zod-validator";
import type { Context, ValidationTargets } from "hono";
import type { z } from "zod";
import type { AppEnv } from "./env.js";
import { ApiError, describeZodError } from "./errors.js";

/**
 * Like zValidator, but a failure throws ApiError(invalid_request) with `target.path: message`, and parsing is
 * synchronous: the schemas here have no async refinements, and the async parser costs a request extra ticks.
 * `fast`, when given, may return the schema's output for a request it recognises as valid (or null): that request
 * skips zod. It must accept only what the schema accepts, with the same output; the schema stays the contract,
 * decides every other request and words every error. The middleware's type is zValidator's, so Hono's typed client
 * still reads the schema's input type.
 */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(
  target: Target,
  schema: T,
  fast?: (c: Context<AppEnv>) => z.output<T> | null,
) {
  const checked = zValidator(
    target,
    schema,
    (result) => {
      if (!result.success) throw new ApiError("invalid_request", describeZodError(target, result.error));
    },
    // The option is typed against zod 3's result type; zod 4's safeParse returns the same shape at run time.
    { validationFunction: ((s: z.ZodType, value: unknown) => s.safeParse(value)) as never },
  );
  if (!fast) return checked;
  const withFastPath: typeof checked = async (c, next) => {
    const known = fast(c as unknown as Context<AppEnv>);
    if (known === null) return checked(c, next);
    c.req.addValidatedData(target, known as never);
    await next();
  };
  return withFastPath;
}
