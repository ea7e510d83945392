import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Admin, Kafka } from "kafkajs";
import type { ServiceConfig } from "./config.js";
import { DeadLetters } from "./consumer/dead-letters.js";
import type { TopicHandler } from "./consumer/handler.js";
import { type RunningConsumer, startConsumer } from "./consumer/start.js";
import { ConfigurationError } from "./errors.js";
import { brokerUnavailable, createKafka } from "./kafka/client.js";
import { Publisher } from "./kafka/publisher.js";
import { ensureTopics } from "./kafka/topics.js";
import { startOutboxRelay } from "./outbox/relay.js";
import { type SqlTx, sqlTransactions } from "./sql.js";

declare module "fastify" {
  interface FastifyInstance {
    kafka: { client: Kafka; admin: Admin };
    consumers: RunningConsumer;
    /** The service cannot go on (its consumer cannot be restarted): liveness fails, and `serve` exits 1. */
    lifecycle: Lifecycle;
  }
}

export class Lifecycle {
  failure: Error | undefined;
  private readonly listeners: ((err: Error) => void)[] = [];

  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const listener of this.listeners) listener(err);
  }

  onFail(listener: (err: Error) => void): void {
    this.listeners.push(listener);
  }
}

/** Kafka client and admin; creates the service's topics on start-up. */
export const kafkaPlugin = fp<{ config: ServiceConfig }>(
  async (app: FastifyInstance, { config }) => {
    const client = createKafka(config.kafka, app.log);
    // Few retries: at start-up an absent broker should be reported in seconds, not retried for half a minute.
    const admin = client.admin({ retry: { retries: 4 } });
    try {
      await admin.connect();
      await ensureTopics(admin, config.kafka, Object.values(config.topics));
    } catch (err) {
      await admin.disconnect().catch(() => {});
      throw err instanceof ConfigurationError ? err : brokerUnavailable(config.kafka, err);
    }
    app.decorate("kafka", { client, admin });
    app.decorate("lifecycle", new Lifecycle());
    app.addHook("onClose", () => admin.disconnect());
  },
  { name: "kafka" },
);

/** Publishes the service's outbox with a producer of its own; drains what is committed before it closes. */
export const outboxRelayPlugin = fp<{ config: ServiceConfig; topics: string[] }>(
  async (app: FastifyInstance, { config, topics }) => {
    const log = app.log.child({ component: "outbox" });
    const publisher = new Publisher(app.kafka.client, log);
    const relay = startOutboxRelay({ databaseUrl: config.databaseUrl, publisher, topics, log, ...config.outbox });
    app.addHook("onClose", async () => {
      await relay.stop();
      await publisher.close();
    });
  },
  { name: "outbox-relay", dependencies: ["kafka"] },
);

/** Partitions consumed concurrently (3), plus one for a chunk retried while the others go on. */
const CONSUMER_POOL_SIZE = 4;

/**
 * The service's Kafka entry points: a consumer group over the handlers' topics, applying each chunk
 * in a plain pg transaction on a small pool of its own (every message crosses one).
 */
export const consumersPlugin = fp<{ config: ServiceConfig; service: string; handlers: TopicHandler<SqlTx>[] }>(
  async (app: FastifyInstance, { config, service, handlers }) => {
    const transactions = sqlTransactions(config.databaseUrl, CONSUMER_POOL_SIZE);
    const log = app.log.child({ component: "consumer" });
    const publisher = new Publisher(app.kafka.client, log);
    const deadLetters = new DeadLetters({
      publisher,
      topic: config.topics.deadLetter,
      service,
      maxValueBytes: config.consumer.deadLetterMaxValueBytes,
      log,
    });
    const consumer = await startConsumer({
      kafka: app.kafka.client,
      groupId: config.kafka.groupId,
      handlers,
      transaction: (fn) => transactions.run(fn),
      deadLetters,
      log,
      lingerMs: config.consumer.lingerMs,
      attempts: config.consumer.attempts,
      restarts: config.consumer.restarts,
      onGiveUp: (err) => app.lifecycle.fail(err),
    });
    app.decorate("consumers", consumer);
    app.addHook("onClose", async () => {
      await consumer.stop();
      await Promise.all([publisher.close(), transactions.close()]);
    });
  },
  { name: "consumers", dependencies: ["database", "kafka"] },
);

/** What every saga service stands on beside its own database plugin: Kafka, and the relay that publishes its outbox. */
export async function registerMessaging(
  app: FastifyInstance,
  config: ServiceConfig,
  publishes: string[],
): Promise<void> {
  await app.register(kafkaPlugin, { config });
  await app.register(outboxRelayPlugin, { config, topics: publishes });
}

export function healthChecks(app: FastifyInstance, db: { $queryRawUnsafe(query: string): Promise<unknown> }) {
  return {
    liveness: {
      consumers: async () => app.consumers.isAlive(),
      lifecycle: async () => app.lifecycle.failure === undefined,
    },
    readiness: {
      database: () => db.$queryRawUnsafe("SELECT 1"),
      broker: () => app.kafka.admin.describeCluster(),
      consumers: async () => app.consumers.isJoined(),
    },
  };
}
