import { randomUUID } from "node:crypto";
import { tokenSigner } from "@saga/ops/tokens";
import { loadAuthConfig } from "@saga/platform/config";
import { inject } from "vitest";

/** Tokens the services under test accept: signed with the run's secret, for their issuer and audience. */
export function tokens() {
  const secret = inject("infra").authSecret;
  const { issuer, audience } = loadAuthConfig({ AUTH_JWT_SECRET: secret });
  return tokenSigner({ secret, issuer, audience });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The headers of a guest's request: a guest of its own unless one is named. */
export const asGuest = (id: string = `guest-${randomUUID()}`) => bearer(tokens().guest(id));

/** The headers of hotel staff's request. */
export const asStaff = (id = "staff-of-the-tests") => bearer(tokens().staff(id));
