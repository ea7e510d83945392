import type { FastifyInstance } from "fastify";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freshDatabases, provisionKafkaFor, startApp, testEnv, uniquePrefix, waitFor } from "../harness/index.js";

/** Bookings left PENDING past their deadline, as an outage of the room service leaves them. */
async function overdueBookings(db: pg.Client, count: number): Promise<void> {
  await db.query(
    `INSERT INTO "reservations" ("id", "room_id", "guest_name", "check_in", "check_out", "deadline_at", "updated_at")
     SELECT gen_random_uuid(), gen_random_uuid(), 'Overdue', '2031-03-01', '2031-03-03', now() - interval '1 minute', now()
     FROM generate_series(1, $1)`,
    [count],
  );
}

describe("the saga deadline sweep", () => {
  let databases: Awaited<ReturnType<typeof freshDatabases>>;
  let db: pg.Client;
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    databases = await freshDatabases();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await db?.end();
  });
  afterAll(() => databases?.drop());

  const byStatus = async () => {
    const { rows } = await db.query<{ status: string; n: number }>(
      `SELECT "status"::text || coalesce(' ' || "reason", '') AS "status", count(*)::int AS "n" FROM "reservations" GROUP BY 1`,
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  };
  /** One batch of 100, then a minute before the next sweep: longer than any wait below. */
  const startReservationService = async () => {
    const env = testEnv(uniquePrefix("sweep"), databases.urls, { SAGA_SWEEP_MS: "60000", SAGA_SWEEP_BATCH: "100" });
    await provisionKafkaFor(env);
    return startApp("reservation", env);
  };

  it("when hundreds of bookings are overdue after an outage, then one sweep fails them all, in batches", async () => {
    db = new pg.Client({ connectionString: databases.urls.reservation });
    await db.connect();
    await db.query(`DELETE FROM "reservations"`);
    await overdueBookings(db, 450);

    app = await startReservationService();

    await waitFor(byStatus, (s) => s["FAILURE TIMEOUT"] === 450, { what: "all 450 overdue bookings to fail" });
    // Each failed with its room-cancel owed, written in the same transaction (the relay may have sent it by now).
    const { rows } = await db.query(`SELECT count(*)::int AS "n" FROM "reservations" WHERE "cancel_attempts" = 1`);
    expect(rows[0]).toEqual({ n: 450 });
  });

  it("when the service stops during a large backlog, then it waits for the batch under way and starts no other", async () => {
    db = new pg.Client({ connectionString: databases.urls.reservation });
    await db.connect();
    await db.query(`DELETE FROM "reservations"`);
    await overdueBookings(db, 1_000);
    // Holds the sweep's first batch inside its transaction: its room-cancels cannot be written yet.
    const blocker = new pg.Client({ connectionString: databases.urls.reservation });
    await blocker.connect();
    await blocker.query(`BEGIN; LOCK TABLE "outbox" IN SHARE MODE`);
    try {
      const started = await startReservationService();
      await waitFor(
        async () =>
          (
            await db.query(
              // The statement's text is cut at track_activity_query_size: its start says it is the sweep's.
              `SELECT count(*)::int AS "n" FROM pg_locks l JOIN pg_stat_activity a USING ("pid")
               WHERE l."relation" = '"outbox"'::regclass AND NOT l."granted" AND a."query" LIKE '%UPDATE "reservations"%'`,
            )
          ).rows[0]?.n as number,
        (waiting) => waiting > 0,
        { what: "the sweep's first batch to wait for the outbox" },
      );

      const closing = started.close();
      await blocker.query("ROLLBACK");
      await closing;
    } finally {
      await blocker.end();
    }

    expect(await byStatus()).toEqual({ "FAILURE TIMEOUT": 100, PENDING: 900 });
  });
});
