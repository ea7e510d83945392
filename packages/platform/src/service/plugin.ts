import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ServiceConfig } from "../config/service.js";
import { authPlugin } from "../http/auth.js";
import { healthRoutes } from "../http/health.js";
import { rateLimitPlugin } from "../http/rate-limit.js";
import type { TopicHandler } from "../messaging/consumer/handler.js";
import { consumerLagGauge, healthGauge, outboxGauges } from "../metrics/gauges.js";
import { type SqlTransaction, type Statements, sql } from "../sql/sql.js";
import { tracingPlugin } from "../tracing/plugin.js";
import { consumersPlugin } from "./consumers.js";
import { checkHandlers, publishedTopics } from "./flows.js";
import { kafkaPlugin } from "./kafka.js";
import { outboxRelayPlugin } from "./outbox-relay.js";
import type { PruneTarget } from "./retention.js";
import { retentionPlugin } from "./retention-plugin.js";

export interface ServiceOptions {
  /** Its configuration, which names the service: what it publishes and consumes comes from `FLOWS`. */
  config: ServiceConfig;
  /** Its Kafka entry points, one for each topic it reads in `FLOWS`. */
  handlers: TopicHandler<SqlTransaction>[];
  /** What its retention sweep prunes. */
  retention: PruneTarget[];
  /** Its database, for readiness. */
  db: Statements;
}

/** Liveness: the parts that do not come back by themselves; readiness: the dependencies, and the group joined. */
function healthChecks(app: FastifyInstance, db: Statements) {
  return {
    liveness: {
      consumers: async () => app.consumers.isAlive(),
      lifecycle: async () => app.lifecycle.failure === undefined,
    },
    readiness: {
      database: () => db.rows(sql`SELECT 1`),
      broker: () => app.kafka.admin.describeCluster(),
      consumers: async () => app.consumers.isJoined(),
    },
  };
}

/**
 * What every service of the saga stands on beside its database, metrics and domain: a span per
 * request (when tracing is on), who calls and how often, Kafka, the relay that publishes its
 * outbox, its consumers, its retention sweep, and the health routes. Registered in this order, they
 * close in the reverse: the consumers finish and commit, then the relay drains. The service's
 * routes come after, so the auth and rate limits cover them.
 */
export const servicePlugin = fp<ServiceOptions>(
  async (app: FastifyInstance, { config, handlers, retention, db }) => {
    checkHandlers(config, handlers);
    await app.register(tracingPlugin, config.tracing);
    await app.register(authPlugin, { config: config.auth });
    await app.register(rateLimitPlugin, { anonymousPerMinute: config.auth.anonymousPerMinute });
    await app.register(kafkaPlugin, { config });
    await app.register(outboxRelayPlugin, { config, topics: publishedTopics(config) });
    await app.register(consumersPlugin, { config, handlers });
    await app.register(retentionPlugin, {
      databaseUrl: config.databaseUrl,
      config: config.retention,
      targets: retention,
    });
    const checks = healthChecks(app, db);
    await app.register(healthRoutes, checks);
    healthGauge(app.serviceMetrics, { live: checks.liveness, ready: checks.readiness });
    outboxGauges(app.serviceMetrics, db);
    consumerLagGauge(
      app.serviceMetrics,
      app.kafka.admin,
      config.kafka.groupId,
      handlers.map((h) => h.topic),
    );
  },
  { name: "service", dependencies: ["database", "metrics"] },
);
