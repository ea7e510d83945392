import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { type Accounts, createAccounts } from "../domain/accounts.js";
import { createPayments, type Payments } from "../domain/payments.js";

declare module "fastify" {
  interface FastifyInstance {
    /** Deposits and payments as the routes read and credit them. */
    accounts: Accounts;
    /** The saga's payment side, inside a consumer's transaction: what the consumer calls. */
    payments: Payments;
  }
}

export default fp(
  async (app: FastifyInstance) => {
    app.decorate("accounts", createAccounts({ sql: app.paymentSql }));
    app.decorate("payments", createPayments({ topics: app.paymentConfig.topics }));
  },
  { name: "payment-domain", dependencies: ["database"] },
);
