import { PrismaPg } from "@prisma/adapter-pg";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { databaseUnavailable } from "./database.js";
import type { SqlExecutor } from "./sql.js";

export interface DatabaseClient extends SqlExecutor {
  $disconnect(): Promise<void>;
}

/** Prisma's PostgreSQL driver adapter with a bounded pool that fails fast when the server is away. */
export function pgAdapter(databaseUrl: string, poolSize: number): PrismaPg {
  return new PrismaPg({ connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: 3_000 });
}

/**
 * A service's Prisma client as a decorator (its name and type are the service's own), checked
 * at start-up with one clear line when the database cannot be reached, and closed on close.
 */
export function databasePlugin<C extends DatabaseClient>(options: {
  decorator: string;
  envVar: string;
  create: (databaseUrl: string, poolSize: number) => C;
}) {
  return fp<{ databaseUrl: string; poolSize: number }>(
    async (app: FastifyInstance, { databaseUrl, poolSize }) => {
      const client = options.create(databaseUrl, poolSize);
      try {
        await client.$queryRawUnsafe("SELECT 1");
      } catch (err) {
        await client.$disconnect();
        throw databaseUnavailable(databaseUrl, options.envVar, err);
      }
      app.decorate<DatabaseClient>(options.decorator, client);
      app.addHook("onClose", () => client.$disconnect());
    },
    { name: "database" },
  );
}
