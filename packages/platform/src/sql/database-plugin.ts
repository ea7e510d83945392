import { PrismaPg } from "@prisma/adapter-pg";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type pg from "pg";
import { openPool } from "./connections.js";
import { databaseUnavailable } from "./database.js";
import { type Sql, sql, sqlOn } from "./sql.js";

export interface DatabaseClient {
  $disconnect(): Promise<void>;
}

export type PgPool = pg.Pool;

/** Prisma's PostgreSQL driver adapter on a pool it owns: `$disconnect` ends the pool. */
export function pgAdapter(pool: PgPool): PrismaPg {
  return new PrismaPg(pool, { disposeExternalPool: true });
}

/**
 * A service's database as two decorators on one pool (their names and the client's type are the
 * service's own): its Prisma client, and its plain statements (see sql.ts). Checked at start-up
 * with one clear line when the database cannot be reached, and closed on close.
 */
export function databasePlugin<C extends DatabaseClient>(options: {
  decorator: string;
  sqlDecorator: string;
  envVar: string;
  create: (pool: PgPool) => C;
}) {
  return fp<{ databaseUrl: string; poolSize: number }>(
    async (app: FastifyInstance, { databaseUrl, poolSize }) => {
      // Prisma's driver adapter runs on it (and ends it on `$disconnect`), and so do the service's plain
      // statements: one pool, one bound on connections.
      const pool = openPool(databaseUrl, "requests", poolSize, app.log);
      const client = options.create(pool);
      const statements = sqlOn(pool);
      try {
        await statements.rows(sql`SELECT 1`);
      } catch (err) {
        await client.$disconnect();
        throw databaseUnavailable(databaseUrl, options.envVar, err);
      }
      app.decorate<DatabaseClient>(options.decorator, client);
      app.decorate<Sql>(options.sqlDecorator, statements);
      app.addHook("onClose", () => client.$disconnect());
    },
    { name: "database" },
  );
}
