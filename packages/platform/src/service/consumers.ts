import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { PARTITIONS_CONSUMED_CONCURRENTLY, type ServiceConfig } from "../config/service.js";
import { DeadLetters } from "../messaging/consumer/dead-letters.js";
import type { TopicHandler } from "../messaging/consumer/handler.js";
import { type RunningConsumer, startConsumer } from "../messaging/consumer/start.js";
import { Publisher } from "../messaging/kafka/publisher.js";
import { startAtZero } from "../metrics/registry.js";
import { openPool } from "../sql/connections.js";
import { type SqlTransaction, sqlOn } from "../sql/sql.js";

declare module "fastify" {
  interface FastifyInstance {
    consumers: RunningConsumer;
  }
}

/** One connection for each partition applied at once, plus one for a chunk retried while the others go on. */
const CONSUMER_POOL_SIZE = PARTITIONS_CONSUMED_CONCURRENTLY + 1;

/**
 * The service's Kafka entry points: a consumer group over the handlers' topics, applying each chunk
 * in a plain pg transaction on a small pool of its own (every message crosses one), dead-lettering
 * with a producer of its own.
 */
export const consumersPlugin = fp<{
  config: ServiceConfig;
  handlers: TopicHandler<SqlTransaction>[];
}>(
  async (app: FastifyInstance, { config, handlers }) => {
    const log = app.log.child({ component: "consumer" });
    const pool = openPool(config.databaseUrl, "messages", CONSUMER_POOL_SIZE, log);
    const transactions = sqlOn(pool);
    const publisher = new Publisher(app.kafka.client, log);
    const { deadLetterMaxValueBytes: maxValueBytes, ...consumer } = config.consumer;
    const metrics = app.serviceMetrics;
    const consumed = handlers.map(({ topic }) => ({ topic }));
    startAtZero(metrics.messagesApplied, consumed);
    startAtZero(metrics.deadLetters, consumed);
    const deadLetters = new DeadLetters({
      publisher,
      topic: config.topics.deadLetter,
      service: config.kafka.clientId,
      maxValueBytes,
      log,
      onSent: (topic, count) => metrics.deadLetters.inc({ topic }, count),
    });
    const running = await startConsumer({
      kafka: app.kafka.client,
      groupId: config.kafka.groupId,
      handlers,
      transaction: (fn) => transactions.transaction(fn),
      deadLetters,
      log,
      ...consumer,
      partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
      onGiveUp: (err) => app.lifecycle.fail(err),
      onApplied: (topic, count) => metrics.messagesApplied.inc({ topic }, count),
      tracing: config.tracing.enabled,
    });
    app.decorate("consumers", running);
    app.addHook("onClose", async () => {
      await running.stop();
      await Promise.all([publisher.close(), pool.end()]);
    });
  },
  { name: "consumers", dependencies: ["database", "kafka", "metrics"] },
);
