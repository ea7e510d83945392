import fastifyJwt from "@fastify/jwt";
import type { FastifyInstance, FastifyRequest, preParsingAsyncHookHandler } from "fastify";
import fp from "fastify-plugin";
import buildGetJwks from "get-jwks";
import type { AuthConfig } from "../config/service.js";
import { AppError } from "../errors.js";
import { claims, type Principal, STAFF_ROLE } from "./principal.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Who sent the request, when its bearer token verified; null otherwise. */
    principal: Principal | null;
    /** Why the bearer token the request carried did not verify. */
    authFailure: string | null;
  }
  interface FastifyInstance {
    /** Route hooks: 401 unless the request carries a valid token (before its body is read). */
    guestOnly: { preParsing: preParsingAsyncHookHandler };
    /** Route hooks: 401 unless a valid token, 403 unless it has the staff role. */
    staffOnly: { preParsing: preParsingAsyncHookHandler };
  }
}

const REALM = 'Bearer realm="hotel-saga"';

function unauthenticated(failure: string | null): AppError {
  const challenge = failure ? `${REALM}, error="invalid_token", error_description="${failure}"` : REALM;
  const message = failure ? `Not authenticated: ${failure}` : "Not authenticated: send Authorization: Bearer <token>";
  return new AppError(401, "UNAUTHENTICATED", message, [], { "www-authenticate": challenge });
}

/** @fastify/jwt's reasons, told to the caller in a few words (nothing about the key). */
function describe(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === "FST_JWT_AUTHORIZATION_TOKEN_EXPIRED") return "the token has expired";
  if (code === "FST_JWT_BAD_REQUEST" || code === "FST_JWT_NO_AUTHORIZATION_IN_HEADER") {
    return "the Authorization header is not Bearer <token>";
  }
  return "the token is not valid";
}

/** The key that verifies tokens: the shared secret (HS256), a public key, or a provider's JWKS (RS256, ES256). */
function verificationKey(config: AuthConfig) {
  if (config.algorithm === "HS256") return config.secret as string;
  if (config.publicKey) return { public: config.publicKey };
  const jwks = new URL(config.jwksUrl as string);
  const getJwks = buildGetJwks({
    providerDiscovery: false,
    jwksPath: jwks.pathname,
    issuersWhitelist: [jwks.origin],
    ttl: 10 * 60_000,
  });
  return async (_request: FastifyRequest, token: { header: { kid?: string; alg: string } }) =>
    getJwks.getPublicKey({ domain: jwks.origin, kid: token.header.kid, alg: token.header.alg });
}

/**
 * Who calls: a bearer JWT verified with the one algorithm configured, its issuer and audience
 * checked, its expiry required (with a small clock tolerance), and its claims validated. A request
 * without a valid token is not refused here (health and availability are public): routes that
 * need a guest or staff say so with `app.requireGuest` or `app.requireStaff`.
 */
export const authPlugin = fp<{ config: AuthConfig }>(
  async (app: FastifyInstance, { config }) => {
    await app.register(fastifyJwt, {
      secret: verificationKey(config) as never,
      // The key fetcher is given the whole decoded token: it needs the header's `kid` and `alg`.
      decode: { complete: true },
      verify: {
        algorithms: [config.algorithm],
        allowedIss: config.issuer,
        allowedAud: config.audience,
        requiredClaims: ["sub", "exp", "iss", "aud"],
        clockTolerance: config.clockToleranceMs,
        // Clients send the same token for its lifetime: a verified one is remembered until it expires.
        cache: 10_000,
      },
    });
    app.decorateRequest("principal", null);
    app.decorateRequest("authFailure", null);
    app.addHook("onRequest", async (request) => {
      if (request.headers.authorization === undefined) return;
      try {
        const parsed = claims.safeParse(await request.jwtVerify());
        if (!parsed.success) request.authFailure = "the token's claims are not valid";
        else request.principal = { id: parsed.data.sub, staff: parsed.data.roles?.includes(STAFF_ROLE) === true };
      } catch (err) {
        request.authFailure = describe(err);
      }
    });
    // preParsing: after the rate limit counted the request (onRequest), before its body is read.
    const guestOnly: preParsingAsyncHookHandler = async (request, _reply, payload) => {
      if (!request.principal) throw unauthenticated(request.authFailure);
      return payload;
    };
    const staffOnly: preParsingAsyncHookHandler = async (request, reply, payload) => {
      await guestOnly.call(app, request, reply, payload);
      if (!request.principal?.staff) throw new AppError(403, "FORBIDDEN", "This needs a staff token");
      return payload;
    };
    app.decorate("guestOnly", { preParsing: guestOnly });
    app.decorate("staffOnly", { preParsing: staffOnly });
  },
  { name: "auth" },
);
