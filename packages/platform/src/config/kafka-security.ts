import { readFileSync } from "node:fs";
import type { SASLOptions } from "kafkajs";
import { z } from "zod";

/** How a service logs in to the brokers: SASL (SCRAM on the local stack) and, in production, TLS. */
export const kafkaSecurityFields = {
  KAFKA_SASL_MECHANISM: z.enum(["none", "scram-sha-512", "scram-sha-256", "plain"]).default("none"),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  KAFKA_SSL: z.stringbool().default(false),
  /** PEM file of the CA that signed the brokers' certificates (the system's CAs when absent). */
  KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
};

type SecurityEnv = {
  KAFKA_SASL_MECHANISM: string;
  KAFKA_SASL_USERNAME?: string;
  KAFKA_SASL_PASSWORD?: string;
  KAFKA_SSL: boolean;
  KAFKA_SSL_CA_FILE?: string;
};

export function kafkaSecurityChecks(e: SecurityEnv, ctx: z.RefinementCtx) {
  const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  if (e.KAFKA_SASL_MECHANISM !== "none") {
    if (!e.KAFKA_SASL_USERNAME) issue("KAFKA_SASL_USERNAME", `is required with ${e.KAFKA_SASL_MECHANISM}`);
    if (!e.KAFKA_SASL_PASSWORD) issue("KAFKA_SASL_PASSWORD", `is required with ${e.KAFKA_SASL_MECHANISM}`);
  }
  if (e.KAFKA_SSL_CA_FILE && !e.KAFKA_SSL) issue("KAFKA_SSL_CA_FILE", "is used only with KAFKA_SSL=true");
}

/** kafkajs' `sasl` and `ssl` options, and who logs in (for error messages; never the password). */
export function kafkaSecurityConfig(e: z.output<z.ZodObject<typeof kafkaSecurityFields>>) {
  const sasl =
    e.KAFKA_SASL_MECHANISM === "none"
      ? undefined
      : ({
          mechanism: e.KAFKA_SASL_MECHANISM,
          username: e.KAFKA_SASL_USERNAME ?? "",
          password: e.KAFKA_SASL_PASSWORD ?? "",
        } as SASLOptions);
  const ssl = e.KAFKA_SSL ? (e.KAFKA_SSL_CA_FILE ? { ca: [readFileSync(e.KAFKA_SSL_CA_FILE, "utf8")] } : true) : false;
  return { sasl, ssl, principal: sasl ? `${sasl.mechanism} user '${e.KAFKA_SASL_USERNAME}'` : "no SASL login" };
}
