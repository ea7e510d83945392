import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Admin, Kafka } from "kafkajs";
import type { ServiceConfig } from "../config/service.js";
import { ConfigurationError } from "../errors.js";
import { brokerUnavailable, createKafka } from "../messaging/kafka/client.js";
import { checkTopics } from "../messaging/kafka/topics.js";
import { topicsOf } from "./flows.js";
import { Lifecycle } from "./lifecycle.js";

declare module "fastify" {
  interface FastifyInstance {
    kafka: { client: Kafka; admin: Admin };
    lifecycle: Lifecycle;
  }
}

/** Kafka client and admin; checks the service's topics on start-up. */
export const kafkaPlugin = fp<{ config: ServiceConfig }>(
  async (app: FastifyInstance, { config }) => {
    const client = createKafka(config.kafka, app.log);
    // Few retries: at start-up an absent broker should be reported in seconds, not retried for half a minute.
    const admin = client.admin({ retry: { retries: 4 } });
    try {
      await admin.connect();
      await checkTopics(admin, config.kafka, topicsOf(config));
    } catch (err) {
      await admin.disconnect().catch((cause: Error) => app.log.debug({ err: cause.message }, "kafka admin not closed"));
      throw err instanceof ConfigurationError ? err : brokerUnavailable(config.kafka, err);
    }
    app.decorate("kafka", { client, admin });
    app.decorate("lifecycle", new Lifecycle());
    app.addHook("onClose", () => admin.disconnect());
  },
  { name: "kafka" },
);
