import { randomUUID } from "node:crypto";
import {
  newRoomCancel,
  newRoomReserve,
  type RoomCancelMessage,
  type RoomReserveMessage,
  type TransactionResultMessage,
  topicNames,
} from "@saga/contracts";
import { createHolds } from "@saga/room/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asChunk, type DomainDatabase, domainDatabase, insertRoom } from "../harness/index.js";

// The consumer hands the domain a chunk of messages in one transaction; these tests build the
// chunks themselves, so what a chunk holds (copies, contention, a cancel first) is certain.
describe("room-reserve and room-cancel, a chunk at a time", () => {
  const topics = topicNames("holds-test.");
  const holds = createHolds({ topics });
  let room: DomainDatabase;
  beforeAll(async () => {
    room = await domainDatabase("room");
  });
  afterAll(() => room?.close());

  const stay = { checkIn: "2031-03-01", checkOut: "2031-03-03" };
  const reserve = (messages: RoomReserveMessage[]) =>
    room.sql.transaction((tx) => holds.reserve(tx, asChunk(topics.roomReserve, messages)));
  const cancel = (messages: RoomCancelMessage[]) =>
    room.sql.transaction((tx) => holds.cancel(tx, asChunk(topics.roomCancel, messages)));

  const createRoom = (units: number) => insertRoom(room.db, units);
  async function taken(roomId: string): Promise<number[]> {
    const { rows } = await room.db.query<{ taken: number }>(
      `SELECT "taken" FROM "room_nights" WHERE "room_id" = $1 AND "date" >= $2 AND "date" < $3 ORDER BY "date"`,
      [roomId, stay.checkIn, stay.checkOut],
    );
    return rows.map((r) => r.taken);
  }
  /** Replies owed so far for these reservations, in the order they were written. */
  async function replies(...reservationIds: string[]): Promise<Record<string, string[]>> {
    const { rows } = await room.db.query<{ payload: TransactionResultMessage }>(
      `SELECT "payload" FROM "outbox" WHERE "payload"->>'reservationId' = ANY($1) ORDER BY "id"`,
      [reservationIds],
    );
    const byReservation: Record<string, string[]> = Object.fromEntries(reservationIds.map((id) => [id, []]));
    for (const { payload } of rows) {
      const outcome = payload.status === "FAILURE" ? `FAILURE ${payload.reason}` : payload.status;
      byReservation[payload.reservationId]?.push(outcome);
    }
    return byReservation;
  }

  it("when one chunk holds more bookings than the room has units, a copy, a bad stay and an unknown room, then each is decided in order and the copy changes nothing", async () => {
    const roomId = await createRoom(1);
    const first = newRoomReserve({ reservationId: randomUUID(), roomId, ...stay });
    const second = newRoomReserve({ reservationId: randomUUID(), roomId, ...stay });
    const badStay = newRoomReserve({
      reservationId: randomUUID(),
      roomId,
      checkIn: "2031-03-05",
      checkOut: "2031-03-05",
    });
    const noRoom = newRoomReserve({ reservationId: randomUUID(), roomId: randomUUID(), ...stay });

    await reserve([first, second, first, badStay, noRoom]);

    expect(
      await replies(first.reservationId, second.reservationId, badStay.reservationId, noRoom.reservationId),
    ).toEqual({
      [first.reservationId]: ["SUCCESS"],
      [second.reservationId]: ["FAILURE NO_AVAILABILITY"],
      [badStay.reservationId]: ["FAILURE INVALID_STAY"],
      [noRoom.reservationId]: ["FAILURE ROOM_NOT_FOUND"],
    });
    expect(await taken(roomId)).toEqual([1, 1]);

    // The whole chunk delivered again: nothing taken, nothing answered twice.
    await reserve([first, second, badStay, noRoom]);
    expect((await replies(first.reservationId, second.reservationId))[first.reservationId]).toEqual(["SUCCESS"]);
    expect(await taken(roomId)).toEqual([1, 1]);
  });

  it("when one chunk takes nights of a room with units to spare, then each booking takes its nights once", async () => {
    const roomId = await createRoom(3);
    const bookings = [1, 2, 3, 4].map(() => newRoomReserve({ reservationId: randomUUID(), roomId, ...stay }));

    await reserve(bookings);

    const answered = await replies(...bookings.map((b) => b.reservationId));
    expect(bookings.map((b) => answered[b.reservationId])).toEqual([
      ["SUCCESS"],
      ["SUCCESS"],
      ["SUCCESS"],
      ["FAILURE NO_AVAILABILITY"],
    ]);
    expect(await taken(roomId)).toEqual([3, 3]);
  });

  it("when one chunk cancels a held booking twice and a booking whose reserve has not come, then the nights come back once and the late reserve takes nothing", async () => {
    const roomId = await createRoom(2);
    const held = newRoomReserve({ reservationId: randomUUID(), roomId, ...stay });
    const late = newRoomReserve({ reservationId: randomUUID(), roomId, ...stay });
    await reserve([held]);
    expect(await taken(roomId)).toEqual([1, 1]);
    const cancelOf = (m: RoomReserveMessage) =>
      newRoomCancel({ reservationId: m.reservationId, roomId, checkIn: m.checkIn, checkOut: m.checkOut });

    await cancel([cancelOf(held), cancelOf(late), cancelOf(held)]);

    expect(await taken(roomId)).toEqual([0, 0]);
    await reserve([late]);
    expect(await replies(held.reservationId, late.reservationId)).toEqual({
      [held.reservationId]: ["SUCCESS", "CANCEL", "CANCEL"],
      [late.reservationId]: ["CANCEL", "FAILURE CANCELLED"],
    });
    expect(await taken(roomId)).toEqual([0, 0]);
  });

  it("when a reserve names other dates than its reservation's hold, then it is refused as permanent, naming itself, and changes nothing", async () => {
    const roomId = await createRoom(2);
    const held = newRoomReserve({ reservationId: randomUUID(), roomId, ...stay });
    await reserve([held]);
    const moved = newRoomReserve({
      reservationId: held.reservationId,
      roomId,
      checkIn: "2031-03-02",
      checkOut: "2031-03-04",
    });

    await expect(reserve([moved])).rejects.toMatchObject({ name: "PermanentMessageError", messageId: moved.messageId });

    expect(await taken(roomId)).toEqual([1, 1]);
    expect(await replies(held.reservationId)).toEqual({ [held.reservationId]: ["SUCCESS"] });
  });

  it("when a cancel names another room than its reservation's hold, then it is refused as permanent and frees nothing", async () => {
    const [roomId, otherRoom] = [await createRoom(1), await createRoom(1)];
    const held = newRoomReserve({ reservationId: randomUUID(), roomId, ...stay });
    await reserve([held]);
    const forged = newRoomCancel({ reservationId: held.reservationId, roomId: otherRoom, ...stay });

    await expect(cancel([forged])).rejects.toMatchObject({
      name: "PermanentMessageError",
      messageId: forged.messageId,
    });

    expect(await taken(roomId)).toEqual([1, 1]);
    const { rows } = await room.db.query(`SELECT "status"::text FROM "holds" WHERE "reservation_id" = $1`, [
      held.reservationId,
    ]);
    expect(rows).toEqual([{ status: "HELD" }]);
  });
});
