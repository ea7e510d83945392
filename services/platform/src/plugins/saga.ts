import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { authPlugin } from "../auth/plugin.js";
import { rateLimitPlugin } from "../auth/rate-limit.js";
import type { ServiceConfig } from "../config.js";
import type { TopicHandler } from "../consumer/handler.js";
import { consumerLagGauge, outboxGauges } from "../metrics/saga-gauges.js";
import type { PruneTarget } from "../retention.js";
import type { SqlTransaction, Statements } from "../sql.js";
import { consumersPlugin } from "./consumers.js";
import { healthChecks, healthRoutes } from "./health.js";
import { kafkaPlugin } from "./kafka.js";
import { outboxRelayPlugin } from "./outbox-relay.js";
import { retentionPlugin } from "./retention.js";
import { tracingPlugin } from "./tracing.js";

export interface SagaOptions {
  config: ServiceConfig;
  /** The Kafka client id of the service, and the `service` of its dead letters. */
  service: string;
  /** The topics its outbox publishes to. */
  publishes: string[];
  /** Its Kafka entry points. */
  handlers: TopicHandler<SqlTransaction>[];
  /** What its retention sweep prunes. */
  retention: PruneTarget[];
  /** Its database, for readiness. */
  db: Statements;
}

/**
 * What every saga service stands on beside its database, metrics and domain: a span per request
 * (when tracing is on), who calls and how often, Kafka, the relay that publishes its outbox, its consumers, its retention sweep, and the health
 * routes. Registered in this order, they close in the reverse: the consumers finish and commit,
 * then the relay drains. The service's routes come after, so the auth and rate limits cover them.
 */
export const sagaPlugin = fp<SagaOptions>(
  async (app: FastifyInstance, { config, service, publishes, handlers, retention, db }) => {
    await app.register(tracingPlugin, config.tracing);
    await app.register(authPlugin, { config: config.auth });
    await app.register(rateLimitPlugin, { anonymousPerMinute: config.auth.anonymousPerMinute });
    await app.register(kafkaPlugin, { config });
    await app.register(outboxRelayPlugin, { config, topics: publishes });
    await app.register(consumersPlugin, { config, service, handlers });
    await app.register(retentionPlugin, {
      databaseUrl: config.databaseUrl,
      config: config.retention,
      targets: retention,
    });
    await app.register(healthRoutes, healthChecks(app, db));
    outboxGauges(app.sagaMetrics, db);
    consumerLagGauge(
      app.sagaMetrics,
      app.kafka.admin,
      config.kafka.groupId,
      handlers.map((h) => h.topic),
    );
  },
  { name: "saga", dependencies: ["database", "metrics"] },
);
