import { randomUUID } from "node:crypto";
import { newRoomReserve, topicNames } from "@saga/contracts";
import { pruneOnce } from "@saga/platform/service";
import { createHolds, roomRetention } from "@saga/room/domain";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asChunk, type DomainDatabase, domainDatabase } from "../harness/index.js";

const DAY_MS = 86_400_000;
const HORIZON_MS = 8 * DAY_MS;

describe("the retention sweep", () => {
  const topics = topicNames("retention-test.");
  const holds = createHolds({ topics });
  let room: DomainDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    room = await domainDatabase("room");
    pool = new pg.Pool({ connectionString: room.url, max: 1 });
  });
  afterAll(async () => {
    await pool?.end();
    await room?.close();
  });

  const count = async (sql: string) => Number((await room.db.query<{ n: number }>(sql)).rows[0]?.n);
  /** Runs rounds until the backlog is done, as the sweep does, and returns every batch's size per table. */
  async function sweep(batch: number) {
    const batches: Record<string, number[]> = {};
    const record = (table: string, deleted: number) => {
      batches[table] = [...(batches[table] ?? []), deleted];
    };
    while ((await pruneOnce(pool, roomRetention, HORIZON_MS, batch, record)) >= batch) {}
    return batches;
  }
  async function createRoom(): Promise<string> {
    const { rows } = await room.db.query<{ id: string }>(
      `INSERT INTO "rooms" ("id", "name", "units") VALUES (gen_random_uuid(), 'Retention', 5) RETURNING "id"::text`,
    );
    return rows[0]?.id as string;
  }

  it("when deliveries, released holds and refused messages are older than the horizon, then they are deleted in batches of the sweep's size, and what is younger or still held is kept", async () => {
    const roomId = await createRoom();
    await room.db.query(
      `INSERT INTO "inbox" ("message_id", "topic", "processed_at")
       SELECT gen_random_uuid(), 'old', now() - interval '9 days' FROM generate_series(1, 2500)`,
    );
    await room.db.query(
      `INSERT INTO "inbox" ("message_id", "topic", "processed_at") SELECT gen_random_uuid(), 'young', now() - interval '7 days' FROM generate_series(1, 10)`,
    );
    await room.db.query(
      `INSERT INTO "holds" ("reservation_id", "room_id", "check_in", "check_out", "status", "created_at", "released_at")
       VALUES (gen_random_uuid(), $1, '2031-01-01', '2031-01-02', 'RELEASED', now() - interval '20 days', now() - interval '9 days'),
              (gen_random_uuid(), $1, '2031-01-01', '2031-01-02', 'RELEASED', now() - interval '20 days', now() - interval '1 day'),
              (gen_random_uuid(), $1, '2031-01-01', '2031-01-02', 'HELD', now() - interval '400 days', NULL)`,
      [roomId],
    );
    await room.db.query(
      `INSERT INTO "outbox_refused" ("id", "message_id", "topic", "key", "payload", "created_at", "reason", "refused_at")
       VALUES (9000001, gen_random_uuid(), 't', 'k', '{}', now() - interval '9 days', 'MESSAGE_TOO_LARGE', now() - interval '9 days'),
              (9000002, gen_random_uuid(), 't', 'k', '{}', now(), 'MESSAGE_TOO_LARGE', now())`,
    );

    const batches = await sweep(1_000);

    expect(batches.inbox).toEqual([1_000, 1_000, 500]);
    expect(Math.max(...Object.values(batches).flat())).toBeLessThanOrEqual(1_000);
    expect(await count(`SELECT count(*)::int AS "n" FROM "inbox" WHERE "topic" = 'old'`)).toBe(0);
    expect(await count(`SELECT count(*)::int AS "n" FROM "inbox" WHERE "topic" = 'young'`)).toBe(10);
    const holds = await room.db.query(
      `SELECT "status"::text, "released_at" IS NULL AS "held" FROM "holds" WHERE "room_id" = $1 ORDER BY "status"`,
      [roomId],
    );
    expect(holds.rows).toEqual([
      { status: "HELD", held: true },
      { status: "RELEASED", held: false },
    ]);
    expect(await count(`SELECT count(*)::int AS "n" FROM "outbox_refused"`)).toBe(1);
  });

  it("when a message is delivered again inside the horizon, after a sweep, then it still changes nothing", async () => {
    const roomId = await createRoom();
    const message = newRoomReserve({
      reservationId: randomUUID(),
      roomId,
      checkIn: "2031-05-01",
      checkOut: "2031-05-03",
    });
    const deliver = () => room.sql.transaction((tx) => holds.reserve(tx, asChunk(topics.roomReserve, [message])));
    await deliver();
    await room.db.query(`UPDATE "inbox" SET "processed_at" = now() - interval '7 days' WHERE "message_id" = $1`, [
      message.messageId,
    ]);

    await sweep(1_000);
    await deliver();

    expect(await count(`SELECT sum("taken")::int AS "n" FROM "room_nights" WHERE "room_id" = '${roomId}'`)).toBe(2);
    expect(
      await count(
        `SELECT count(*)::int AS "n" FROM "outbox" WHERE "payload"->>'reservationId' = '${message.reservationId}'`,
      ),
    ).toBe(1);
  });

  it("when a large backlog is pruned, then it goes in batches of the sweep's size and deliveries meanwhile go through", async () => {
    const roomId = await createRoom();
    await room.db.query(
      `INSERT INTO "inbox" ("message_id", "topic", "processed_at")
       SELECT gen_random_uuid(), 'old', now() - interval '9 days' FROM generate_series(1, 20000)`,
    );
    const messages = Array.from({ length: 20 }, (_, i) =>
      newRoomReserve({
        reservationId: randomUUID(),
        roomId,
        checkIn: `2031-06-${String(i + 1).padStart(2, "0")}`,
        checkOut: `2031-06-${String(i + 2).padStart(2, "0")}`,
      }),
    );

    const [batches] = await Promise.all([
      sweep(500),
      Promise.all(
        messages.map((m) => room.sql.transaction((tx) => holds.reserve(tx, asChunk(topics.roomReserve, [m])))),
      ),
    ]);

    expect(batches.inbox?.filter((n) => n > 0)).toHaveLength(40);
    expect(Math.max(...(batches.inbox ?? []))).toBe(500);
    expect(await count(`SELECT count(*)::int AS "n" FROM "holds" WHERE "room_id" = '${roomId}'`)).toBe(20);
  });
});
