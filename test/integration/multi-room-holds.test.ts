import { randomUUID } from "node:crypto";
import {
  newRoomCancel,
  newRoomReserve,
  type RoomLine,
  roomReserveMessage,
  type TransactionResultMessage,
  topicNames,
} from "@saga/contracts";
import { openPool, sqlOn } from "@saga/platform/sql";
import { createHolds } from "@saga/room/domain";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asChunk, type DomainDatabase, domainDatabase, insertRoom, waitFor } from "../harness/index.js";

// A booking of several rooms (or several units of one) at the room service: version 3 of
// room-reserve and version 2 of room-cancel, decided a chunk at a time as the consumer hands them.
describe("several rooms in one booking, at the room service", () => {
  const topics = topicNames("multi-room-test.");
  const holds = createHolds({ topics });
  let room: DomainDatabase;
  beforeAll(async () => {
    room = await domainDatabase("room");
  });
  afterAll(() => room?.close());

  const stay = { checkIn: "2031-05-01", checkOut: "2031-05-04" };
  const reserveAll = (messages: ReturnType<typeof newRoomReserve>[]) =>
    room.sql.transaction((tx) => holds.reserve(tx, asChunk(topics.roomReserve, messages)));
  const cancelAll = (messages: ReturnType<typeof newRoomCancel>[]) =>
    room.sql.transaction((tx) => holds.cancel(tx, asChunk(topics.roomCancel, messages)));
  const reserve = (rooms: RoomLine[], extra: object = {}) =>
    newRoomReserve({ reservationId: randomUUID(), rooms, ...stay, ...extra });

  async function taken(roomId: string): Promise<number[]> {
    const { rows } = await room.db.query<{ taken: number }>(
      `SELECT d::date, COALESCE(n."taken", 0) AS "taken"
       FROM generate_series($2::date, $3::date - 1, interval '1 day') AS d
       LEFT JOIN "room_nights" n ON n."room_id" = $1 AND n."date" = d::date ORDER BY d`,
      [roomId, stay.checkIn, stay.checkOut],
    );
    return rows.map((r) => r.taken);
  }
  async function repliesOf(reservationId: string): Promise<TransactionResultMessage[]> {
    const { rows } = await room.db.query<{ payload: TransactionResultMessage }>(
      `SELECT "payload" FROM "outbox" WHERE "payload"->>'reservationId' = $1 ORDER BY "id"`,
      [reservationId],
    );
    return rows.map((r) => r.payload);
  }
  const outcomes = async (reservationId: string) =>
    (await repliesOf(reservationId)).map((r) => (r.status === "FAILURE" ? `FAILURE ${r.reason}` : r.status));
  async function holdRows(reservationId: string) {
    const { rows } = await room.db.query(
      `SELECT "room_id"::text AS "roomId", "quantity", "status"::text AS "status" FROM "holds"
       WHERE "reservation_id" = $1 ORDER BY "room_id"`,
      [reservationId],
    );
    return rows;
  }

  it("when a booking names two rooms, then it takes every unit of every night of both, with one price of them all", async () => {
    const [a, b] = [await insertRoom(room.db, 3, { rate: 10_000 }), await insertRoom(room.db, 2, { rate: 7_000 })];
    const message = reserve([
      { roomId: a, quantity: 2 },
      { roomId: b, quantity: 1 },
    ]);
    expect(message.version).toBe(3);

    await reserveAll([message]);

    expect(await taken(a)).toEqual([2, 2, 2]);
    expect(await taken(b)).toEqual([1, 1, 1]);
    const [reply] = await repliesOf(message.reservationId);
    expect(reply).toMatchObject({
      status: "SUCCESS",
      version: 2,
      price: {
        currency: "EUR",
        nights: [27_000, 27_000, 27_000],
        total: 81_000,
        payment: "PREPAID",
        cancellation: { freeUntilHours: 48, penaltyNights: 1 },
      },
    });
    expect(await holdRows(message.reservationId)).toEqual(
      [
        { roomId: a, quantity: 2, status: "HELD" },
        { roomId: b, quantity: 1, status: "HELD" },
      ].sort((x, y) => x.roomId.localeCompare(y.roomId)),
    );
  });

  it("when one room of a booking has too few units on one night, then nothing is taken in any room", async () => {
    const [a, b] = [await insertRoom(room.db, 3), await insertRoom(room.db, 2)];
    const first = reserve([{ roomId: b, quantity: 1 }], { checkIn: "2031-05-03", checkOut: "2031-05-04" });
    const both = reserve([
      { roomId: a, quantity: 3 },
      { roomId: b, quantity: 2 },
    ]);
    const fits = reserve([
      { roomId: a, quantity: 3 },
      { roomId: b, quantity: 1 },
    ]);

    await reserveAll([first, both, fits]);

    expect(await outcomes(both.reservationId)).toEqual(["FAILURE NO_AVAILABILITY"]);
    expect(await outcomes(fits.reservationId)).toEqual(["SUCCESS"]);
    expect(await taken(a)).toEqual([3, 3, 3]);
    expect(await taken(b)).toEqual([1, 1, 2]);
    expect(await holdRows(both.reservationId)).toEqual([]);
  });

  it("when the rooms differ in currency, payment or policy, or one has no price, then the booking is refused MIXED_TERMS in version 3 and takes nothing", async () => {
    const eur = await insertRoom(room.db, 2, { rate: 10_000 });
    const cases = [
      await insertRoom(room.db, 2, { rate: 10_000, currency: "USD" }),
      await insertRoom(room.db, 2, { rate: 10_000, payment: "AT_HOTEL" }),
      await insertRoom(room.db, 2, { rate: 10_000, penaltyNights: 2 }),
      await insertRoom(room.db, 2),
    ];
    const messages = cases.map((other) =>
      reserve([
        { roomId: eur, quantity: 1 },
        { roomId: other, quantity: 1 },
      ]),
    );

    await reserveAll(messages);

    for (const message of messages) {
      const [reply] = await repliesOf(message.reservationId);
      expect(reply).toMatchObject({ status: "FAILURE", reason: "MIXED_TERMS", version: 3 });
    }
    expect(await taken(eur)).toEqual([0, 0, 0]);
  });

  it("when the guest expected another total than the rooms' together, then it is refused PRICE_CHANGED; the right total takes them", async () => {
    const [a, b] = [await insertRoom(room.db, 2, { rate: 10_000 }), await insertRoom(room.db, 2, { rate: 5_000 })];
    const rooms = [
      { roomId: a, quantity: 1 },
      { roomId: b, quantity: 2 },
    ];
    const wrong = reserve(rooms, { expectedTotal: { amount: 30_000, currency: "EUR" } });
    const right = reserve(rooms, { expectedTotal: { amount: 60_000, currency: "EUR" } });

    await reserveAll([wrong, right]);

    expect(await outcomes(wrong.reservationId)).toEqual(["FAILURE PRICE_CHANGED"]);
    expect(await outcomes(right.reservationId)).toEqual(["SUCCESS"]);
    expect(await taken(b)).toEqual([2, 2, 2]);
  });

  it("when a held booking's reserve comes again, then it answers the same price and takes nothing more", async () => {
    const [a, b] = [await insertRoom(room.db, 4, { rate: 10_000 }), await insertRoom(room.db, 4, { rate: 3_000 })];
    const message = reserve([
      { roomId: a, quantity: 1 },
      { roomId: b, quantity: 3 },
    ]);
    await reserveAll([message]);
    const copy = { ...message, messageId: randomUUID() };

    await reserveAll([copy]);

    const [first, again] = await repliesOf(message.reservationId);
    expect(again?.status).toBe("SUCCESS");
    expect(again && "price" in again ? again.price : undefined).toEqual(
      first && "price" in first ? first.price : "none",
    );
    expect(await taken(b)).toEqual([3, 3, 3]);
  });

  it("when a multi-room booking is cancelled, then every unit of every room comes back once", async () => {
    const [a, b] = [await insertRoom(room.db, 3), await insertRoom(room.db, 3)];
    const rooms = [
      { roomId: a, quantity: 2 },
      { roomId: b, quantity: 3 },
    ];
    const message = reserve(rooms);
    await reserveAll([message]);
    const cancel = newRoomCancel({ reservationId: message.reservationId, rooms, ...stay });
    expect(cancel.version).toBe(2);

    await cancelAll([cancel, { ...cancel, messageId: randomUUID() }]);

    expect(await taken(a)).toEqual([0, 0, 0]);
    expect(await taken(b)).toEqual([0, 0, 0]);
    expect(await outcomes(message.reservationId)).toEqual(["SUCCESS", "CANCEL", "CANCEL"]);
    expect((await holdRows(message.reservationId)).map((h) => h.status)).toEqual(["RELEASED", "RELEASED"]);
  });

  it("when a cancel overtakes its multi-room reserve, then the reserve takes nothing in any room", async () => {
    const [a, b] = [await insertRoom(room.db, 2), await insertRoom(room.db, 2)];
    const rooms = [
      { roomId: a, quantity: 1 },
      { roomId: b, quantity: 2 },
    ];
    const message = reserve(rooms);

    await cancelAll([newRoomCancel({ reservationId: message.reservationId, rooms, ...stay })]);
    await reserveAll([message]);

    expect(await outcomes(message.reservationId)).toEqual(["CANCEL", "FAILURE CANCELLED"]);
    expect(await taken(a)).toEqual([0, 0, 0]);
    expect(await taken(b)).toEqual([0, 0, 0]);
  });

  it("when a cancel names other units than the booking holds, then it is refused as permanent and frees nothing", async () => {
    const [a, b] = [await insertRoom(room.db, 3), await insertRoom(room.db, 3)];
    const message = reserve([
      { roomId: a, quantity: 2 },
      { roomId: b, quantity: 1 },
    ]);
    await reserveAll([message]);
    const forged = newRoomCancel({
      reservationId: message.reservationId,
      rooms: [
        { roomId: a, quantity: 2 },
        { roomId: b, quantity: 3 },
      ],
      ...stay,
    });
    const oneRoom = newRoomCancel({ reservationId: message.reservationId, roomId: a, ...stay });

    await expect(cancelAll([forged])).rejects.toMatchObject({
      name: "PermanentMessageError",
      messageId: forged.messageId,
    });
    await expect(cancelAll([oneRoom])).rejects.toMatchObject({ name: "PermanentMessageError" });

    expect(await taken(a)).toEqual([2, 2, 2]);
    expect(await taken(b)).toEqual([1, 1, 1]);
  });

  it("when bookings naming the same two rooms, listed in either order, are decided in concurrent transactions, then none deadlocks and no night is overbooked", async () => {
    const [a, b] = [await insertRoom(room.db, 5), await insertRoom(room.db, 5)];
    const pool = openPool(room.url, "messages", 8, Fastify().log);
    const sql = sqlOn(pool);
    try {
      const bookings = Array.from({ length: 16 }, (_, i) =>
        reserve(
          i % 2 === 0
            ? [
                { roomId: a, quantity: 1 },
                { roomId: b, quantity: 1 },
              ]
            : [
                { roomId: b, quantity: 1 },
                { roomId: a, quantity: 1 },
              ],
        ),
      );

      const settled = await Promise.allSettled(
        bookings.map((m) => sql.transaction((tx) => holds.reserve(tx, asChunk(topics.roomReserve, [m])))),
      );

      expect(settled.filter((s) => s.status === "rejected")).toEqual([]);
      const results: string[][] = [];
      for (const m of bookings) results.push(await outcomes(m.reservationId));
      expect(results.filter(([o]) => o === "SUCCESS")).toHaveLength(5);
      expect(results.filter(([o]) => o === "FAILURE NO_AVAILABILITY")).toHaveLength(11);
      expect(await taken(a)).toEqual([5, 5, 5]);
      expect(await taken(b)).toEqual([5, 5, 5]);
    } finally {
      await pool.end();
    }
  });

  it("when two reserves of one reservation name other rooms and overlap in time, then the second waits for the first and is refused as permanent, so it holds one set of rooms", async () => {
    const [a, b] = [await insertRoom(room.db, 2), await insertRoom(room.db, 2)];
    const reservationId = randomUUID();
    const first = newRoomReserve({ reservationId, rooms: [{ roomId: a, quantity: 1 }], ...stay });
    const forged = newRoomReserve({ reservationId, rooms: [{ roomId: b, quantity: 2 }], ...stay });
    let second: Promise<unknown> = Promise.resolve();

    await room.sql.transaction(async (tx) => {
      await holds.reserve(tx, asChunk(topics.roomReserve, [first]));
      // Its rooms differ, so only the reservation's own lock can hold it back until this commits.
      second = reserveAll([forged]).catch((err: unknown) => err);
      await waitFor(
        async () =>
          (await room.db.query(`SELECT 1 FROM pg_locks WHERE "locktype" = 'advisory' AND NOT "granted"`)).rowCount,
        (waiting) => waiting === 1,
        { what: "the second reserve waiting for the reservation's lock" },
      );
    });

    expect(await second).toMatchObject({ name: "PermanentMessageError", messageId: forged.messageId });
    expect(await holdRows(reservationId)).toEqual([{ roomId: a, quantity: 1, status: "HELD" }]);
    expect(await taken(b)).toEqual([0, 0, 0]);
  });

  it("when a booking would cost more than one amount may hold, then it is refused TOTAL_TOO_LARGE and takes nothing", async () => {
    const [a, b] = [
      await insertRoom(room.db, 10, { rate: 40_000_000 }),
      await insertRoom(room.db, 10, { rate: 40_000_000 }),
    ];
    const message = reserve([
      { roomId: a, quantity: 10 },
      { roomId: b, quantity: 10 },
    ]);

    await reserveAll([message]);

    const [reply] = await repliesOf(message.reservationId);
    expect(reply).toMatchObject({ status: "FAILURE", reason: "TOTAL_TOO_LARGE", version: 3 });
    expect(await taken(a)).toEqual([0, 0, 0]);
  });

  it("when a version 3 reserve names a room twice, more than 10 rooms or a quantity of 0, then the contract refuses it", () => {
    const base = reserve([{ roomId: randomUUID(), quantity: 2 }]);
    const twice = randomUUID();
    const cases = [
      [
        { roomId: twice, quantity: 1 },
        { roomId: twice, quantity: 1 },
      ],
      Array.from({ length: 11 }, () => ({ roomId: randomUUID(), quantity: 1 })),
      [{ roomId: randomUUID(), quantity: 0 }],
      [{ roomId: randomUUID(), quantity: 11 }],
      [],
    ];
    for (const rooms of cases) expect(roomReserveMessage.safeParse({ ...base, rooms }).success).toBe(false);
    expect(roomReserveMessage.safeParse(base).success).toBe(true);
  });
});
