import { z } from "zod";

/**
 * Text a person typed, as PostgreSQL can keep it: trimmed, `1..max` characters, with no NUL (a
 * `text` column refuses U+0000) and no lone UTF-16 surrogate (it cannot be encoded as UTF-8, so
 * it would be stored as U+FFFD, not as sent).
 */
export function storableText(max: number) {
  return z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((value) => !value.includes("\u0000"), "must not contain the NUL character (U+0000)")
    .refine((value) => value.isWellFormed(), "must not contain a lone UTF-16 surrogate");
}
