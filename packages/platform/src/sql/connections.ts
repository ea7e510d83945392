import type { FastifyBaseLogger } from "fastify";
import pg from "pg";

/** Where a broken connection's error is told: a service's logger, or a tool's. */
export type ConnectionLog = Pick<FastifyBaseLogger, "warn">;

/**
 * What a connection is for, and so how long it may wait on the server. Every connection keeps TCP
 * keepalive on, so a peer that vanished is found; none waits forever for a pool.
 */
const PURPOSES = {
  /** HTTP requests (Prisma's adapter runs on the same pool): a server away is reported in seconds. */
  requests: { connectionTimeoutMillis: 3_000 },
  /**
   * A consumer's transactions: every message crosses one, and none waits forever: the pool wait,
   * each statement, idling inside a transaction and a server that stopped answering without
   * closing (a half-open connection) are all bounded.
   */
  messages: {
    connectionTimeoutMillis: 10_000,
    statement_timeout: 30_000,
    idle_in_transaction_session_timeout: 30_000,
    query_timeout: 35_000,
  },
  /** Sweeps in the background (retention) and operators' tools: short statements, never in a hurry. */
  background: { connectionTimeoutMillis: 10_000, statement_timeout: 30_000 },
} satisfies Record<string, pg.PoolConfig>;

export type ConnectionPurpose = keyof typeof PURPOSES;

const INT8 = 20;

/**
 * A `bigint` column read by a plain statement is a JavaScript number (money in minor units, counts),
 * not the string node-postgres gives by default; one beyond 2^53 is refused rather than rounded.
 * Prisma's adapter parses its own columns (it names its parsers on every query).
 */
const types = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid !== INT8 || format === "binary") return pg.types.getTypeParser(oid, format as "text");
    return (value: string) => {
      const parsed = Number(value);
      if (!Number.isSafeInteger(parsed)) throw new RangeError(`bigint ${value} is beyond a safe integer`);
      return parsed;
    };
  }) as typeof pg.types.getTypeParser,
};

/**
 * The one way a service opens a pool on its database. A connection that breaks while idle in the
 * pool (the server restarted) is dropped by the pool and told to `log`, not a crash of the process.
 */
export function openPool(databaseUrl: string, purpose: ConnectionPurpose, size: number, log: ConnectionLog): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: size,
    keepAlive: true,
    application_name: purpose,
    types,
    ...PURPOSES[purpose],
  });
  pool.on("error", (err) => log.warn({ err: err.message, purpose }, "an idle database connection broke; dropped"));
  return pool;
}

/**
 * A session of its own, outside any pool, for what lives as long as its connection (the outbox
 * relay's advisory lock and LISTEN): every statement, every wait for an answer, and the session
 * idling at the server are bounded by `timeoutMs`.
 */
export function openSession(databaseUrl: string, timeoutMs: number, name: string): pg.Client {
  return new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: Math.min(3_000, timeoutMs),
    keepAlive: true,
    keepAliveInitialDelayMillis: Math.min(10_000, timeoutMs),
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    lock_timeout: timeoutMs,
    application_name: name,
  });
}
