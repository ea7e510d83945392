import { FastifyOtelInstrumentation } from "@fastify/otel";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/** Requests that are not a guest's: health probes and scrapes would only be noise in the traces. */
const UNTRACED = /^\/(health|metrics)(\/|$)/;

/**
 * A span for each request, continuing the caller's W3C `traceparent`: what the request writes to
 * the outbox carries it on. Registered only when tracing is on, so off it costs nothing per request.
 */
export const tracingPlugin = fp<{ enabled: boolean }>(
  async (app: FastifyInstance, { enabled }) => {
    if (!enabled) return;
    const otel = new FastifyOtelInstrumentation({
      instrumentHooks: false,
      ignorePaths: ({ url }) => UNTRACED.test(url),
    });
    await app.register(otel.plugin());
  },
  { name: "tracing" },
);
