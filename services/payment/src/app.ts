import { docsPlugin } from "@saga/platform/http";
import { metricsPlugin } from "@saga/platform/metrics";
import { PLATFORM_TARGETS, servicePlugin } from "@saga/platform/service";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { PaymentConfig } from "./config.js";
import { paymentConsumers } from "./consumers/index.js";
import database from "./plugins/database.js";
import domain from "./plugins/domain.js";
import paymentMetrics from "./plugins/payment-metrics.js";
import accounts from "./routes/accounts.js";

declare module "fastify" {
  interface FastifyInstance {
    paymentConfig: PaymentConfig;
  }
}

/**
 * The payment service as a plugin: its ledger and domain, the platform's service base (Kafka,
 * outbox, consumers, retention, health), then the routes.
 */
export default fp(
  async (app: FastifyInstance, { config }: { config: PaymentConfig }) => {
    app.decorate("paymentConfig", config);
    await app.register(docsPlugin, {
      title: "Payment service",
      description: "Guests' deposits in a double-entry ledger; each prepaid booking's charge and refund.",
      version: "0.1.0",
      localUrl: "http://localhost:3002",
    });
    await app.register(database, { databaseUrl: config.databaseUrl, poolSize: config.dbPoolSize });
    await app.register(metricsPlugin);
    await app.register(paymentMetrics);
    await app.register(domain);
    await app.register(servicePlugin, {
      config,
      handlers: paymentConsumers(app),
      retention: PLATFORM_TARGETS,
      db: app.paymentSql,
    });
    await app.register(accounts);
  },
  { name: "payment-service" },
);

export { loadConfig, type PaymentConfig } from "./config.js";
