import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ServiceConfig } from "../config/service.js";
import { Publisher } from "../messaging/kafka/publisher.js";
import { startOutboxRelay } from "../messaging/outbox/relay.js";
import { startAtZero } from "../metrics/registry.js";

/** Publishes the service's outbox with a producer of its own; drains what is committed before it closes. */
export const outboxRelayPlugin = fp<{ config: ServiceConfig; topics: string[] }>(
  async (app: FastifyInstance, { config, topics }) => {
    const log = app.log.child({ component: "outbox" });
    const publisher = new Publisher(app.kafka.client, log);
    const metrics = app.serviceMetrics;
    startAtZero(
      metrics.outboxRefused,
      topics.map((topic) => ({ topic })),
    );
    const relay = startOutboxRelay({
      databaseUrl: config.databaseUrl,
      publisher,
      topics,
      log,
      ...config.outbox,
      onPublished: (count) => metrics.outboxPublished.inc(count),
      onRefused: (topic) => metrics.outboxRefused.inc({ topic }),
      tracing: config.tracing.enabled,
    });
    app.addHook("onClose", async () => {
      await relay.stop();
      await publisher.close();
    });
  },
  { name: "outbox-relay", dependencies: ["kafka", "metrics"] },
);
