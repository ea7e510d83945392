import { healthRoutes } from "@saga/platform/http";
import { openPool, sqlOn } from "@saga/platform/sql";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ReconcilerConfig } from "./config.js";
import { createReconcilerMetrics } from "./metrics.js";
import { createReconciler, type Reconciler } from "./reconciler.js";

declare module "fastify" {
  interface FastifyInstance {
    reconciler: Reconciler;
  }
}

/**
 * The live reconciler as a small server: its passes start once it listens and stop on close;
 * `/metrics` has `saga_invariant_discrepancies`, `/discrepancies` names each one, and the health
 * routes say whether its databases answer and its passes complete.
 */
export const reconcilerApp = fp<{ config: ReconcilerConfig }>(async (app: FastifyInstance, { config }) => {
  const pools = Object.entries(config.databases).map(
    ([service, url]) => [service, openPool(url, "background", 2, app.log.child({ database: service }))] as const,
  );
  app.addHook("onClose", async () => {
    await Promise.all(pools.map(([, pool]) => pool.end()));
  });
  const db = Object.fromEntries(pools.map(([service, pool]) => [service, sqlOn(pool)]));
  const metrics = createReconcilerMetrics();
  const reconciler = createReconciler(
    { room: db.room, reservation: db.reservation, payment: db.payment } as Parameters<typeof createReconciler>[0],
    config,
    metrics,
    app.log.child({ component: "reconciler" }),
  );
  app.decorate("reconciler", reconciler);
  app.addHook("onReady", async () => reconciler.start());
  app.addHook("preClose", async () => reconciler.stop());

  // Only Prometheus and the probes call it: a request is not worth a log line.
  await app.register(
    async (routes) => {
      routes.get("/metrics", async (_request, reply) =>
        reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
      );
      routes.get("/discrepancies", async () => ({
        discrepancies: reconciler.discrepancies().map(({ kind, subject, line }) => ({ kind, subject, line })),
      }));
      const databases = Object.fromEntries(pools.map(([service, pool]) => [service, () => pool.query("SELECT 1")]));
      await routes.register(healthRoutes, {
        liveness: { passes: async () => reconciler.healthy() },
        readiness: databases,
      });
    },
    { logLevel: "warn" },
  );
});
