import { FastifyOtelInstrumentation } from "@fastify/otel";
import { context } from "@opentelemetry/api";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { carriedOrNewTrace } from "./context.js";
import { propagateWithoutSdk } from "./propagation.js";

/** Requests that are not a guest's: health probes and scrapes would only be noise in the traces. */
const UNTRACED = /^\/(health|metrics)(\/|$)/;

/**
 * A span for each request, continuing the caller's W3C `traceparent`: what the request writes to
 * the outbox carries it on. With tracing off no span is made, but the request still runs in the
 * caller's trace (or a new one), so its log lines, the history it writes and the outbox rows name it.
 */
export const tracingPlugin = fp<{ enabled: boolean }>(
  async (app: FastifyInstance, { enabled }) => {
    if (!enabled) {
      propagateWithoutSdk();
      app.addHook("onRequest", (request, _reply, done) => {
        if (UNTRACED.test(request.url)) return done();
        context.with(carriedOrNewTrace(request.headers), done);
      });
      return;
    }
    const otel = new FastifyOtelInstrumentation({
      instrumentHooks: false,
      ignorePaths: ({ url }) => UNTRACED.test(url),
    });
    await app.register(otel.plugin());
  },
  { name: "tracing" },
);
