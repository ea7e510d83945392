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
 * A service's database on one pool: its plain statements (see sql.ts) and, for a service that reads
 * through Prisma too, its Prisma client (the decorators' names and the client's type are the
 * service's own). Checked at start-up with one clear line when the database cannot be reached, and
 * closed on close.
 */
export function databasePlugin<C extends DatabaseClient>(options: {
  sqlDecorator: string;
  envVar: string;
  prisma?: { decorator: string; create: (pool: PgPool) => C };
}) {
  return fp<{ databaseUrl: string; poolSize: number }>(
    async (app: FastifyInstance, { databaseUrl, poolSize }) => {
      // Prisma's driver adapter runs on it (and ends it on `$disconnect`), and so do the service's plain
      // statements: one pool, one bound on connections.
      const pool = openPool(databaseUrl, "requests", poolSize, app.log);
      const client = options.prisma?.create(pool);
      const close = () => (client ? client.$disconnect() : pool.end());
      const statements = sqlOn(pool);
      try {
        await statements.rows(sql`SELECT 1`);
      } catch (err) {
        await close();
        throw databaseUnavailable(databaseUrl, options.envVar, err);
      }
      if (options.prisma && client) app.decorate<DatabaseClient>(options.prisma.decorator, client);
      app.decorate<Sql>(options.sqlDecorator, statements);
      app.addHook("onClose", close);
    },
    { name: "database" },
  );
}
