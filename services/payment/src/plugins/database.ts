import { databasePlugin, type Sql } from "@saga/platform/sql";

declare module "fastify" {
  interface FastifyInstance {
    /** Plain statements on the service's pool: every read and write of the ledger is one (see the platform's README). */
    paymentSql: Sql;
  }
}

export default databasePlugin({ sqlDecorator: "paymentSql", envVar: "PAYMENT_DATABASE_URL" });
