import { databasePlugin, type PgPool, pgAdapter, type Sql } from "@saga/platform/sql";
import { PrismaClient } from "../generated/prisma/client.js";

declare module "fastify" {
  interface FastifyInstance {
    reservationDb: PrismaClient;
    /** The same pool as plain statements (see the platform's sql.ts). */
    reservationSql: Sql;
  }
}

export function createPrisma(pool: PgPool): PrismaClient {
  return new PrismaClient({ adapter: pgAdapter(pool) });
}

export default databasePlugin({
  sqlDecorator: "reservationSql",
  envVar: "RESERVATION_DATABASE_URL",
  prisma: { decorator: "reservationDb", create: createPrisma },
});
