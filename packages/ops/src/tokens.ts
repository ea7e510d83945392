import { STAFF_ROLE } from "@saga/platform/http";
import { createSigner } from "fast-jwt";

export interface SigningSettings {
  secret: string;
  issuer: string;
  audience: string;
}

/**
 * Mints HS256 tokens the services accept, for the local stack (`pnpm token`), the tests and the
 * bench. In production an identity provider issues them, and the services verify its keys.
 */
export function tokenSigner({ secret, issuer, audience }: SigningSettings) {
  const sign = (sub: string, claims: Record<string, unknown>, ttlSeconds: number) =>
    createSigner({ key: secret, algorithm: "HS256", iss: issuer, aud: audience, sub, expiresIn: ttlSeconds * 1000 })(
      claims,
    );
  return {
    guest: (id: string, ttlSeconds = 3_600) => sign(id, {}, ttlSeconds),
    staff: (id: string, ttlSeconds = 3_600) => sign(id, { roles: [STAFF_ROLE] }, ttlSeconds),
  };
}
