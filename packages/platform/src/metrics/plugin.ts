import client from "@prometheus-io/client";
import type { FastifyInstance } from "fastify";
import metricsModule from "fastify-metrics";
import fp from "fastify-plugin";
import { OPERATIONS_TAG } from "../http/docs.js";
import { createServiceMetrics, type ServiceMetrics } from "./registry.js";

/** The health probes: their 503 says not ready (or not live), which the health gauge reports, not an error. */
const PROBES = /^\/health\//;

// A CommonJS module whose plugin is its `default` export: under Node's ESM, that is the import's `default`.
const fastifyMetrics = metricsModule.default;

declare module "fastify" {
  interface FastifyInstance {
    serviceMetrics: ServiceMetrics;
  }
}

/**
 * `GET /metrics` in Prometheus' text format (fastify-metrics over @prometheus-io/client, prom-client's successor): the process's
 * defaults, `http_request_duration_seconds` by method, route and status, the answers an operator
 * is alerted on (5xx, 429) as counters present from the start, and the saga's own, all in one
 * registry of this instance. Like the health routes, it takes no token and no limit.
 */
export const metricsPlugin = fp(
  async (app: FastifyInstance) => {
    const registry = new client.Registry();
    await app.register(fastifyMetrics, {
      promClient: client,
      endpoint: {
        url: "/metrics",
        method: "GET",
        logLevel: "warn",
        config: { rateLimit: false },
        schema: {
          tags: [OPERATIONS_TAG],
          operationId: "metrics",
          summary: "Prometheus text exposition of the service's metrics",
        },
        handler: () => {},
      },
      defaultMetrics: { enabled: true, register: registry },
      routeMetrics: {
        enabled: { histogram: true, summary: false },
        overrides: {
          labels: { status: "status" },
          histogram: { registers: [registry] },
          // Made even when disabled: kept out of the global registry, which every instance in a process shares.
          summary: { registers: [registry] },
        },
      },
    });
    const metrics = createServiceMetrics(registry, app.log.child({ component: "metrics" }));
    app.decorate("serviceMetrics", metrics);
    app.addHook("onResponse", async (request, reply) => {
      if (reply.statusCode === 429) metrics.rateLimited.inc();
      else if (reply.statusCode >= 500 && !PROBES.test(request.url)) {
        metrics.serverErrors.inc({ status: reply.statusCode });
      }
    });
  },
  { name: "metrics" },
);
