import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ServiceConfig } from "../config/service.js";
import { Publisher } from "../messaging/kafka/publisher.js";
import { startOutboxRelay } from "../messaging/outbox/relay.js";

/** Publishes the service's outbox with a producer of its own; drains what is committed before it closes. */
export const outboxRelayPlugin = fp<{ config: ServiceConfig; topics: string[] }>(
  async (app: FastifyInstance, { config, topics }) => {
    const log = app.log.child({ component: "outbox" });
    const publisher = new Publisher(app.kafka.client, log);
    const relay = startOutboxRelay({
      databaseUrl: config.databaseUrl,
      publisher,
      topics,
      log,
      ...config.outbox,
      onPublished: (count) => app.serviceMetrics.outboxPublished.inc(count),
      tracing: config.tracing.enabled,
    });
    app.addHook("onClose", async () => {
      await relay.stop();
      await publisher.close();
    });
  },
  { name: "outbox-relay", dependencies: ["kafka", "metrics"] },
);
