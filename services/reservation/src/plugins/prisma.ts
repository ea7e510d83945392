import { databasePlugin, type PgPool, pgAdapter, type SqlTx } from "@saga/platform";
import { PrismaClient } from "../generated/prisma/client.js";

declare module "fastify" {
  interface FastifyInstance {
    reservationDb: PrismaClient;
    /** The same pool as plain prepared SQL, for the booking insert (on every booking's path). */
    reservationSql: SqlTx;
  }
}

export function createPrisma(pool: PgPool): PrismaClient {
  return new PrismaClient({ adapter: pgAdapter(pool) });
}

export default databasePlugin({
  decorator: "reservationDb",
  sqlDecorator: "reservationSql",
  envVar: "RESERVATION_DATABASE_URL",
  create: createPrisma,
});
