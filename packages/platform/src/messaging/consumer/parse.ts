import type { KafkaMessage } from "kafkajs";
import type { z } from "zod";

export type Parsed = { ok: true; value: unknown } | { ok: false; reason: string };

/** A message's value as the schema reads it, or why it cannot be read. */
export function parse(schema: z.ZodType, message: KafkaMessage): Parsed {
  if (!message.value) return { ok: false, reason: "empty message value" };
  let json: unknown;
  try {
    json = JSON.parse(message.value.toString("utf8"));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  return { ok: false, reason: `schema: ${problems.join("; ")}` };
}
