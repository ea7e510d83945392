import { databasePlugin, pgAdapter } from "@saga/platform";
import { PrismaClient } from "../generated/prisma/client.js";

declare module "fastify" {
  interface FastifyInstance {
    reservationDb: PrismaClient;
  }
}

export function createPrisma(databaseUrl: string, poolSize: number): PrismaClient {
  return new PrismaClient({ adapter: pgAdapter(databaseUrl, poolSize) });
}

export default databasePlugin({ decorator: "reservationDb", envVar: "RESERVATION_DATABASE_URL", create: createPrisma });
