import { databasePlugin, pgAdapter } from "@saga/platform";
import { PrismaClient } from "../generated/prisma/client.js";

declare module "fastify" {
  interface FastifyInstance {
    roomDb: PrismaClient;
  }
}

export function createPrisma(databaseUrl: string, poolSize: number): PrismaClient {
  return new PrismaClient({ adapter: pgAdapter(databaseUrl, poolSize) });
}

export default databasePlugin({ decorator: "roomDb", envVar: "ROOM_DATABASE_URL", create: createPrisma });
