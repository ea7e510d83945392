import type { FastifyBaseLogger } from "fastify";
import type pg from "pg";
import { openSession } from "../../sql/connections.js";
import { prepared, type Query, raw, sql } from "../../sql/sql.js";
import { OUTBOX_CHANNEL } from "./outbox.js";

/** One relay per database publishes at a time, so messages leave in commit order per key. */
export const RELAY_LOCK = 0x6f7574626f78;

export interface RelaySessionOptions {
  databaseUrl: string;
  /** Bound on any statement, on waiting for its answer, and on the session idling at the server. */
  sessionTimeoutMs: number;
  log: FastifyBaseLogger;
  /** A commit's NOTIFY arrived. */
  onNotify(): void;
}

/**
 * The relay's own connection, which holds the relay's advisory lock for as long as it lives. A
 * connection that goes silent (a half-open TCP connection: a host or a proxy that stops answering
 * without closing) must not keep the lock: the server ends the session once it idles longer than
 * `sessionTimeoutMs` (`idle_session_timeout`, PostgreSQL 14 on), which a working relay never does
 * (it reads at every poll, and pings while Kafka takes its time); the relay gives up on an answer
 * after as long, and TCP keepalive finds a peer that vanished. So a standby takes over within
 * `sessionTimeoutMs` plus one poll.
 */
export class RelaySession {
  private client: pg.Client | undefined;
  private holder = false;
  private busy = 0;
  private lastAnswer = Date.now();
  private readonly pinger: NodeJS.Timeout;

  constructor(private readonly options: RelaySessionOptions) {
    const every = Math.max(50, Math.floor(options.sessionTimeoutMs / 3));
    this.pinger = setInterval(() => this.ping(every), every);
    this.pinger.unref();
  }

  /** Whether this session holds the relay lock: only then may the relay publish. */
  get holdsLock(): boolean {
    return this.holder;
  }

  /**
   * Takes the lock if nobody holds it; true when this session holds it. Only the holder listens:
   * PostgreSQL wakes every listening session at each commit that notifies, and a relay standing by
   * has nothing to do with a commit. It listens before its first read as the holder, so a commit
   * either notifies it or is seen by that read.
   */
  async tryLock(): Promise<boolean> {
    if (this.holder) return true;
    const client = await this.connect();
    const { rows } = await this.query<{ locked: boolean }>(
      sql`SELECT pg_try_advisory_lock(${RELAY_LOCK}::bigint) AS locked`,
    );
    if (rows[0]?.locked !== true || this.client !== client) return false;
    await this.query(sql`LISTEN ${raw(OUTBOX_CHANNEL)}`);
    this.holder = this.client === client;
    return this.holder;
  }

  async query<R extends pg.QueryResultRow>(query: Query): Promise<pg.QueryResult<R>> {
    const client = await this.connect();
    this.busy += 1;
    try {
      const result = await client.query<R>(prepared(query));
      this.lastAnswer = Date.now();
      return result;
    } catch (err) {
      // No answer in time, or a broken connection: this session is not trusted again.
      if (!(err as { code?: string }).code) this.drop(client, (err as Error).message);
      throw err;
    } finally {
      this.busy -= 1;
    }
  }

  /** Ends the session, which releases the lock: a relay standing by takes over at its next poll. */
  async close(): Promise<void> {
    clearInterval(this.pinger);
    const client = this.client;
    this.client = undefined;
    this.holder = false;
    await client
      ?.end()
      .catch((err: Error) =>
        this.options.log.warn({ err: err.message }, "outbox relay: closing its session failed; the server ends it"),
      );
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const { databaseUrl, sessionTimeoutMs, log, onNotify } = this.options;
    const client = openSession(databaseUrl, sessionTimeoutMs, "outbox-relay");
    client.on("notification", onNotify);
    client.on("error", (err) => {
      log.warn({ err: err.message }, "outbox relay lost its connection; reconnecting");
      this.drop(client, err.message);
    });
    try {
      await client.connect();
      await client.query(`SET idle_session_timeout = ${Math.floor(sessionTimeoutMs)}`);
    } catch (err) {
      this.destroy(client);
      throw err;
    }
    this.lastAnswer = Date.now();
    this.client = client;
    return client;
  }

  /** Forgets a connection that failed: its lock is gone with it (or soon will be, at the server). */
  private drop(client: pg.Client, reason: string): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.holder) this.options.log.warn({ reason }, "outbox relay gave up its lock with its connection");
    this.holder = false;
    this.destroy(client);
  }

  /** Closes at once: `end()` would wait for a server that may never answer. */
  private destroy(client: pg.Client): void {
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    // The socket is destroyed already: end() can only fail to say goodbye to a server that is gone.
    client
      .end()
      .catch((err: Error) =>
        this.options.log.debug({ err: err.message }, "outbox relay: dropped session not ended cleanly"),
      );
  }

  /** Keeps a holder's session from idling while the relay waits on Kafka (the server would end it). */
  private ping(every: number): void {
    if (!this.client || this.busy > 0 || Date.now() - this.lastAnswer < every) return;
    // A failed ping has dropped the session (see query): the next poll connects anew, or a standby takes over.
    this.query(sql`SELECT 1`).catch((err: Error) =>
      this.options.log.warn({ err: err.message }, "outbox relay: ping failed"),
    );
  }
}
