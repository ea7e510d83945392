import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { AppError } from "../errors.js";

/**
 * Abuse limits, with @fastify/rate-limit (counted in this instance's memory): requests without a
 * valid token, per client address, on every route that does not opt out (health does); a route
 * may set its own (bookings: per guest). Over the limit: `429 RATE_LIMITED` with `Retry-After`.
 */
export const rateLimitPlugin = fp<{ anonymousPerMinute: number }>(
  async (app: FastifyInstance, { anonymousPerMinute }) => {
    await app.register(rateLimit, {
      global: true,
      max: anonymousPerMinute,
      timeWindow: 60_000,
      allowList: (request) => request.principal !== null,
      errorResponseBuilder: (_request, context) =>
        new AppError(
          429,
          "RATE_LIMITED",
          `Too many requests: at most ${context.max} a minute; retry in ${context.after}`,
        ),
    });
  },
  { name: "rate-limit", dependencies: ["auth"] },
);
