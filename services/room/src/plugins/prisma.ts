import { databasePlugin, type PgPool, pgAdapter } from "@saga/platform";
import { PrismaClient } from "../generated/prisma/client.js";

declare module "fastify" {
  interface FastifyInstance {
    roomDb: PrismaClient;
  }
}

export function createPrisma(pool: PgPool): PrismaClient {
  return new PrismaClient({ adapter: pgAdapter(pool) });
}

export default databasePlugin({ decorator: "roomDb", envVar: "ROOM_DATABASE_URL", create: createPrisma });
