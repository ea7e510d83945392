import { databasePlugin, type PgPool, pgAdapter, type Sql } from "@saga/platform/sql";
import { PrismaClient } from "../generated/prisma/client.js";

declare module "fastify" {
  interface FastifyInstance {
    roomDb: PrismaClient;
    /** The same pool as plain statements (see the platform's sql.ts). */
    roomSql: Sql;
  }
}

export function createPrisma(pool: PgPool): PrismaClient {
  return new PrismaClient({ adapter: pgAdapter(pool) });
}

export default databasePlugin({
  sqlDecorator: "roomSql",
  envVar: "ROOM_DATABASE_URL",
  prisma: { decorator: "roomDb", create: createPrisma },
});
