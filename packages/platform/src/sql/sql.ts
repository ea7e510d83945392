import { createHash } from "node:crypto";
import type pg from "pg";
import sql, { empty, join, type Sql as Query, raw } from "sql-template-tag";

/**
 * Two ways to a service's database, each where it was measured to fit:
 * - its Prisma client (`app.reservationDb`, `app.roomDb`) for reads and admin paths: typed models,
 *   migrations, Prisma Studio;
 * - plain statements, written with `sql` (every `${value}` is sent as a parameter, and fragments
 *   nest) and run on node-postgres as prepared statements, for every write that owes a message and
 *   everything on a message's path: a booking, a cancel, a consumer's chunk, a sweep's batch. Prisma
 *   costs several times more per statement there (see docs/decisions.md).
 * Each domain keeps its statements in a `*-queries.ts` beside it; the platform owns the inbox and
 * outbox tables and gives the domains the fragments to compose.
 */
export { empty, join, type Query, raw, sql };

/** Statements on a pool (each on any connection) or inside a transaction (all on its connection). */
export interface Statements {
  rows<T>(query: Query): Promise<T[]>;
  /** Runs a statement and returns how many rows it changed. */
  run(query: Query): Promise<number>;
}

/** A transaction's statements: committed if its function resolves, rolled back if it throws. */
export type SqlTransaction = Statements;

/** Plain statements on a pool, and transactions on one of its connections. */
export interface Sql extends Statements {
  transaction<R>(fn: (tx: SqlTransaction) => Promise<R>): Promise<R>;
}

const names = new Map<string, string>();
const MAX_PREPARED = 500;

/**
 * A statement named after its text: node-postgres prepares it once per connection and then only
 * binds and executes it, so PostgreSQL skips parsing and planning on every later message.
 */
export function prepared(query: Query): pg.QueryConfig {
  const { text, values } = query;
  let name = names.get(text);
  if (!name) {
    // The statements are the code's own, a few dozen; text built at run time is not kept forever.
    if (names.size >= MAX_PREPARED) return { text, values };
    name = `saga_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;
    names.set(text, name);
  }
  return { name, text, values };
}

function statementsOn(target: pg.Pool | pg.PoolClient): Statements {
  return {
    rows: async <T>(query: Query) => (await target.query(prepared(query))).rows as T[],
    run: async (query: Query) => (await target.query(prepared(query))).rowCount ?? 0,
  };
}

/**
 * Statements and transactions on `pool` (opened by `openPool`, which handles its idle connections'
 * errors). A connection that breaks while checked out emits 'error' on its client, and the pool
 * listens only to idle ones: here it is caught (a database outage fails the transaction under way,
 * it does not crash the process) and the connection destroyed.
 */
export function sqlOn(pool: pg.Pool): Sql {
  return {
    ...statementsOn(pool),
    async transaction(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      const onError = (err: Error) => {
        broken = err;
      };
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const result = await fn(statementsOn(client));
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch((rollbackErr: Error) => {
          broken = rollbackErr;
        });
        throw err;
      } finally {
        client.off("error", onError);
        client.release(broken);
      }
    },
  };
}
