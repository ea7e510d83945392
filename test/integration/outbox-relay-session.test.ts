import { OUTBOX_CHANNEL, RelaySession } from "@saga/platform/messaging";
import { sql } from "@saga/platform/sql";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DomainDatabase, domainDatabase } from "../harness/index.js";

describe("the relay's session", () => {
  const log = Fastify().log;
  let database: DomainDatabase;
  const sessions: RelaySession[] = [];

  beforeAll(async () => {
    database = await domainDatabase("reservation");
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await database?.close();
  });

  function session(woken: { count: number }): RelaySession {
    const made = new RelaySession({
      databaseUrl: database.url,
      sessionTimeoutMs: 10_000,
      log,
      onNotify: () => {
        woken.count += 1;
      },
    });
    sessions.push(made);
    return made;
  }
  /** A commit that notifies the relays, as an outbox write does. */
  const commitNotifying = () => database.db.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
  // PostgreSQL signals the listening sessions before the notifying commit returns, and hands a
  // listener what it was signalled before the answer to its next statement: after one round trip
  // on a session, every notification meant for it has arrived.
  const roundTrip = (s: RelaySession) => s.query(sql`SELECT 1`);

  it("when one relay holds the lock and another stands by, then only the holder is woken by commits, and the standby is once it takes over", async () => {
    const holder = { count: 0 };
    const standby = { count: 0 };
    const first = session(holder);
    const second = session(standby);
    expect(await first.tryLock()).toBe(true);
    expect(await second.tryLock()).toBe(false);

    await commitNotifying();
    await commitNotifying();
    await Promise.all([roundTrip(first), roundTrip(second)]);
    expect({ holder: holder.count, standby: standby.count }).toEqual({ holder: 2, standby: 0 });

    await first.close();
    expect(await second.tryLock()).toBe(true);
    await commitNotifying();
    await roundTrip(second);
    expect(standby.count).toBe(1);
  });
});
