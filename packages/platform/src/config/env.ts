import { z } from "zod";

/** Parses the environment against a schema; every problem is named in one error line. */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv,
  name = (key: string) => key,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${name(issue.path.join("."))}: ${issue.message}`);
  throw new Error(`invalid configuration: ${problems.join("; ")}`);
}

/** The largest PostgreSQL `int` and the longest Node.js timer: about 24.8 days in milliseconds. */
export const MAX_INT4 = 2_147_483_647;
const TEN_YEARS_MS = 10 * 366 * 86_400_000;

export const port = z.coerce.number().int().min(0).max(65_535);
/** A whole number from 1 to `max`. */
export const count = (max: number) => z.coerce.number().int().positive().max(max);
/** A duration that a timer or a PostgreSQL `int` holds. */
export const millis = z.coerce.number().int().positive().max(MAX_INT4);
export const millisOrZero = z.coerce.number().int().min(0).max(MAX_INT4);
/** A duration only ever subtracted from a timestamp (a retention horizon): up to ten years. */
export const longMillis = z.coerce.number().int().positive().max(TEN_YEARS_MS);
