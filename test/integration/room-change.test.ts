import { randomUUID } from "node:crypto";
import {
  newRoomCancel,
  newRoomChange,
  newRoomReserve,
  type RoomLine,
  type TransactionResultMessage,
  topicNames,
} from "@saga/contracts";
import { createHolds } from "@saga/room/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asChunk, type DomainDatabase, domainDatabase, insertRoom } from "../harness/index.js";

// room-change at the room service, a chunk at a time: a held booking moved to other dates in one
// transaction, all of its rooms or none, at today's rates. Read a release before any reservation
// service sends it (docs/decisions.md).
describe("room-change: a held booking moved to other dates", () => {
  const topics = topicNames("room-change-test.");
  const holds = createHolds({ topics });
  let room: DomainDatabase;
  beforeAll(async () => {
    room = await domainDatabase("room");
  });
  afterAll(() => room?.close());

  const from = { checkIn: "2031-07-01", checkOut: "2031-07-03" };
  const later = { checkIn: "2031-07-02", checkOut: "2031-07-04" };
  const reserveAll = (messages: ReturnType<typeof newRoomReserve>[]) =>
    room.sql.transaction((tx) => holds.reserve(tx, asChunk(topics.roomReserve, messages)));
  const changeAll = (messages: ReturnType<typeof newRoomChange>[]) =>
    room.sql.transaction((tx) => holds.change(tx, asChunk(topics.roomChange, messages)));

  const createRoom = (units: number, rate?: number) => insertRoom(room.db, units, { rate });
  /** Units taken of each night from 2031-07-01 to 2031-07-04 (four nights). */
  async function taken(roomId: string): Promise<number[]> {
    const { rows } = await room.db.query<{ taken: number }>(
      `SELECT COALESCE(n."taken", 0) AS "taken" FROM generate_series('2031-07-01'::date, '2031-07-04'::date, interval '1 day') AS d
       LEFT JOIN "room_nights" n ON n."room_id" = $1 AND n."date" = d::date ORDER BY d`,
      [roomId],
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
  const lastReply = async (reservationId: string) => (await repliesOf(reservationId)).at(-1);
  async function holdOf(reservationId: string) {
    const { rows } = await room.db.query(
      `SELECT "room_id"::text AS "roomId", "quantity", "status"::text AS "status",
              to_char("check_in", 'YYYY-MM-DD') AS "checkIn", to_char("check_out", 'YYYY-MM-DD') AS "checkOut",
              "price"->'total' AS "total"
       FROM "holds" WHERE "reservation_id" = $1 ORDER BY "room_id"`,
      [reservationId],
    );
    return rows;
  }
  async function booked(rooms: RoomLine[]) {
    const reserve = newRoomReserve({ reservationId: randomUUID(), rooms, ...from });
    await reserveAll([reserve]);
    expect((await lastReply(reserve.reservationId))?.status).toBe("SUCCESS");
    return reserve.reservationId;
  }
  const change = (reservationId: string, rooms: RoomLine[], to: { checkIn: string; checkOut: string }, extra = {}) =>
    newRoomChange({ reservationId, changeId: randomUUID(), rooms, from, to, ...extra });

  it("when a held booking moves a night later, then the night it leaves is given back, the new one taken, and it is priced at today's rates", async () => {
    const roomId = await createRoom(1, 10_000);
    const rooms = [{ roomId, quantity: 1 }];
    const id = await booked(rooms);
    // Since the booking, the new last night got a rate of its own.
    await room.db.query(
      `INSERT INTO "room_nights" ("room_id", "date", "taken", "rate") VALUES ($1, '2031-07-03', 0, 15000)`,
      [roomId],
    );

    const moved = change(id, rooms, later);
    await changeAll([moved]);

    expect(await taken(roomId)).toEqual([0, 1, 1, 0]);
    expect(await lastReply(id)).toMatchObject({
      status: "CHANGED",
      version: 4,
      changeId: moved.changeId,
      ...later,
      price: { currency: "EUR", nights: [10_000, 15_000], total: 25_000, payment: "PREPAID" },
    });
    expect(await holdOf(id)).toEqual([{ roomId, quantity: 1, status: "HELD", ...later, total: 25_000 }]);
  });

  it("when a night of the new stay has no unit left in one of the booking's rooms, then nothing moves in any room", async () => {
    const [a, b] = [await createRoom(3), await createRoom(1)];
    const rooms = [
      { roomId: a, quantity: 2 },
      { roomId: b, quantity: 1 },
    ];
    const id = await booked(rooms);
    const other = newRoomReserve({
      reservationId: randomUUID(),
      roomId: b,
      checkIn: "2031-07-03",
      checkOut: "2031-07-04",
    });
    await reserveAll([other]);

    await changeAll([change(id, rooms, later)]);

    expect(await lastReply(id)).toMatchObject({ status: "CHANGE_REFUSED", reason: "NO_AVAILABILITY", version: 4 });
    expect(await taken(a)).toEqual([2, 2, 0, 0]);
    expect(await taken(b)).toEqual([1, 1, 1, 0]);
    expect((await holdOf(id)).map((h) => [h.checkIn, h.checkOut])).toEqual([
      [from.checkIn, from.checkOut],
      [from.checkIn, from.checkOut],
    ]);
  });

  it("when every unit of a room is the booking's own, then it may still move onto the nights it holds", async () => {
    const roomId = await createRoom(2);
    const rooms = [{ roomId, quantity: 2 }];
    const id = await booked(rooms);

    await changeAll([change(id, rooms, later)]);

    expect(await lastReply(id)).toMatchObject({ status: "CHANGED" });
    expect(await taken(roomId)).toEqual([0, 2, 2, 0]);
  });

  it("when the same change comes again with another id, then it answers CHANGED again and moves nothing", async () => {
    const roomId = await createRoom(2, 10_000);
    const rooms = [{ roomId, quantity: 1 }];
    const id = await booked(rooms);
    const first = change(id, rooms, later);
    await changeAll([first]);

    await changeAll([first, { ...first, messageId: randomUUID() }]);

    const replies = await repliesOf(id);
    expect(replies.map((r) => r.status)).toEqual(["SUCCESS", "CHANGED", "CHANGED"]);
    expect(replies[2]).toMatchObject(later);
    expect(replies[2] && "price" in replies[2] ? replies[2].price?.total : null).toBe(20_000);
    expect(await taken(roomId)).toEqual([0, 1, 1, 0]);
  });

  it("when a refused change is sent again after its night came free, then it is refused again and moves nothing, while a new change moves", async () => {
    const roomId = await createRoom(1);
    const rooms = [{ roomId, quantity: 1 }];
    const id = await booked(rooms);
    const other = newRoomReserve({
      reservationId: randomUUID(),
      roomId,
      checkIn: "2031-07-03",
      checkOut: "2031-07-04",
    });
    await reserveAll([other]);
    const refused = change(id, rooms, later);
    await changeAll([refused]);
    expect(await lastReply(id)).toMatchObject({ status: "CHANGE_REFUSED", reason: "NO_AVAILABILITY" });

    // The night comes free; then the reservation service's copy of the refused change arrives (sent
    // again before the refusal reached it). Decided anew it would move the hold behind the booking.
    await room.sql.transaction((tx) =>
      holds.cancel(
        tx,
        asChunk(topics.roomCancel, [
          newRoomCancel({ reservationId: other.reservationId, roomId, checkIn: "2031-07-03", checkOut: "2031-07-04" }),
        ]),
      ),
    );
    await changeAll([{ ...refused, messageId: randomUUID() }]);
    expect(await lastReply(id)).toMatchObject({
      status: "CHANGE_REFUSED",
      changeId: refused.changeId,
      reason: "NO_AVAILABILITY",
      ...from,
    });
    expect(await taken(roomId)).toEqual([1, 1, 0, 0]);

    const next = change(id, rooms, later);
    await changeAll([next]);
    expect(await lastReply(id)).toMatchObject({ status: "CHANGED", changeId: next.changeId, ...later });
    expect(await taken(roomId)).toEqual([0, 1, 1, 0]);
  });

  it("when the booking holds nothing, the new stay is empty, or the price is not the one expected, then it is refused and nothing moves", async () => {
    const roomId = await createRoom(2, 10_000);
    const rooms = [{ roomId, quantity: 1 }];
    const cancelled = await booked(rooms);
    await room.sql.transaction((tx) =>
      holds.cancel(tx, asChunk(topics.roomCancel, [newRoomCancel({ reservationId: cancelled, roomId, ...from })])),
    );
    const held = await booked(rooms);

    await changeAll([
      change(cancelled, rooms, later),
      change(randomUUID(), rooms, later),
      change(held, rooms, { checkIn: "2031-07-02", checkOut: "2031-07-02" }),
      change(held, rooms, later, { expectedTotal: { amount: 19_999, currency: "EUR" } }),
    ]);

    expect(await lastReply(cancelled)).toMatchObject({ status: "CHANGE_REFUSED", reason: "NOT_HELD" });
    const refusals = (await repliesOf(held)).slice(1);
    expect(refusals.map((r) => (r.status === "CHANGE_REFUSED" ? r.reason : r.status))).toEqual([
      "INVALID_STAY",
      "PRICE_CHANGED",
    ]);
    expect(await taken(roomId)).toEqual([1, 1, 0, 0]);
  });

  it("when a change names other dates or other rooms than the booking holds, then it is refused as permanent and moves nothing", async () => {
    const [a, b] = [await createRoom(2), await createRoom(2)];
    const rooms = [{ roomId: a, quantity: 1 }];
    const id = await booked(rooms);
    const wrongFrom = newRoomChange({
      reservationId: id,
      changeId: randomUUID(),
      rooms,
      from: { checkIn: "2031-06-30", checkOut: "2031-07-02" },
      to: later,
    });
    const wrongRooms = change(id, [{ roomId: b, quantity: 1 }], later);

    await expect(changeAll([wrongFrom])).rejects.toMatchObject({
      name: "PermanentMessageError",
      messageId: wrongFrom.messageId,
    });
    await expect(changeAll([wrongRooms])).rejects.toMatchObject({ name: "PermanentMessageError" });

    expect(await taken(a)).toEqual([1, 1, 0, 0]);
    expect(await taken(b)).toEqual([0, 0, 0, 0]);
  });
});
