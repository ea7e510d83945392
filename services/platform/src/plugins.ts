import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Admin, Kafka, Producer } from "kafkajs";
import type { KafkaConfig, OutboxConfig, ServiceConfig } from "./config.js";
import { brokerUnavailable, createKafka, createProducer, ensureTopics } from "./kafka.js";
import { startOutboxRelay } from "./outbox.js";
import type { SqlExecutor } from "./sql.js";

declare module "fastify" {
  interface FastifyInstance {
    kafka: { client: Kafka; producer: Producer; admin: Admin };
  }
}

/** Kafka client and idempotent producer; creates the service's topics on start-up. */
export const kafkaPlugin = fp<{ config: KafkaConfig; topics: string[] }>(
  async (app: FastifyInstance, { config, topics }) => {
    const client = createKafka(config, app.log);
    const producer = createProducer(client);
    // Few retries: at start-up an absent broker should be reported in seconds, not retried for half a minute.
    const admin = client.admin({ retry: { retries: 4 } });
    try {
      await admin.connect();
      await ensureTopics(admin, config, topics);
      await producer.connect();
    } catch (err) {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
      throw brokerUnavailable(config, err);
    }
    app.decorate("kafka", { client, producer, admin });
    app.addHook("onClose", async () => {
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    });
  },
  { name: "kafka" },
);

/** Publishes the service's outbox; drains what is committed before the producer closes. */
export const outboxRelayPlugin = fp<{ databaseUrl: string; config: OutboxConfig }>(
  async (app: FastifyInstance, { databaseUrl, config }) => {
    const relay = startOutboxRelay({
      databaseUrl,
      producer: app.kafka.producer,
      log: app.log.child({ component: "outbox" }),
      pollMs: config.pollMs,
      batchSize: config.batchSize,
      lingerMs: config.lingerMs,
    });
    app.addHook("onClose", () => relay.stop());
  },
  { name: "outbox-relay", dependencies: ["kafka"] },
);

/**
 * What every saga service stands on beside its own database plugin: Kafka, and the relay that
 * publishes its outbox.
 */
export async function registerMessaging(app: FastifyInstance, config: ServiceConfig): Promise<void> {
  await app.register(kafkaPlugin, { config: config.kafka, topics: Object.values(config.topics) });
  await app.register(outboxRelayPlugin, { databaseUrl: config.databaseUrl, config: config.outbox });
}

export function readinessChecks(app: FastifyInstance, db: SqlExecutor, consumers: { isJoined(): boolean }) {
  return {
    database: () => db.$queryRawUnsafe("SELECT 1"),
    broker: () => app.kafka.admin.describeCluster(),
    consumers: async () => consumers.isJoined(),
  };
}
