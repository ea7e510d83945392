import { z } from "zod";
import { parseEnv } from "./env.js";

/** How tokens are verified (and, for the local stack, signed): the same settings everywhere. */
export const authFields = {
  AUTH_JWT_ALGORITHM: z.enum(["HS256", "RS256", "ES256"]).default("HS256"),
  AUTH_JWT_SECRET: z.string().optional(),
  AUTH_JWT_PUBLIC_KEY: z.string().optional(),
  AUTH_JWT_JWKS_URL: z.url().optional(),
  AUTH_JWT_ISSUER: z.string().min(1).default("hotel-saga-local"),
  AUTH_JWT_AUDIENCE: z.string().min(1).default("hotel-saga"),
  AUTH_CLOCK_TOLERANCE_MS: z.coerce.number().int().min(0).max(300_000).default(15_000),
};
const authEnv = z.object(authFields).superRefine(authChecks);
/** The algorithm is pinned, and its key is the one kind it can use: no `none`, no HS/RS confusion. */
export function authChecks(
  e: { AUTH_JWT_ALGORITHM: string; AUTH_JWT_SECRET?: string; AUTH_JWT_PUBLIC_KEY?: string; AUTH_JWT_JWKS_URL?: string },
  ctx: z.RefinementCtx,
) {
  const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  if (e.AUTH_JWT_ALGORITHM === "HS256") {
    if (!e.AUTH_JWT_SECRET) {
      issue("AUTH_JWT_SECRET", "is required with HS256 (the local stack creates one in .data/auth/jwt-secret)");
    } else if (Buffer.byteLength(e.AUTH_JWT_SECRET) < 32) issue("AUTH_JWT_SECRET", "must be at least 32 bytes");
    if (e.AUTH_JWT_PUBLIC_KEY || e.AUTH_JWT_JWKS_URL) {
      issue("AUTH_JWT_ALGORITHM", "HS256 takes AUTH_JWT_SECRET, not a public key or a JWKS URL");
    }
  } else {
    if (Boolean(e.AUTH_JWT_PUBLIC_KEY) === Boolean(e.AUTH_JWT_JWKS_URL)) {
      issue(
        "AUTH_JWT_PUBLIC_KEY",
        `${e.AUTH_JWT_ALGORITHM} takes AUTH_JWT_PUBLIC_KEY or AUTH_JWT_JWKS_URL, one of them`,
      );
    }
    if (e.AUTH_JWT_SECRET) issue("AUTH_JWT_SECRET", `${e.AUTH_JWT_ALGORITHM} verifies with a public key, not a secret`);
  }
}

export function authConfig(e: z.output<typeof authEnv>) {
  return {
    algorithm: e.AUTH_JWT_ALGORITHM,
    secret: e.AUTH_JWT_SECRET,
    publicKey: e.AUTH_JWT_PUBLIC_KEY,
    jwksUrl: e.AUTH_JWT_JWKS_URL,
    issuer: e.AUTH_JWT_ISSUER,
    audience: e.AUTH_JWT_AUDIENCE,
    clockToleranceMs: e.AUTH_CLOCK_TOLERANCE_MS,
  };
}

/** The token settings alone (for whoever mints tokens for the local stack). */
export const loadAuthConfig = (env: NodeJS.ProcessEnv) => authConfig(parseEnv(authEnv, env));
