import { createHash, randomBytes, randomUUID } from "node:crypto";
import {
  type DeadLetterMessage,
  firstRoomOf,
  newRoomCancel,
  newRoomReserve,
  newTransactionResult,
} from "@saga/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppSystem,
  aBooking,
  alterTopic,
  aStay,
  asStaff,
  availability,
  book,
  createRoom,
  produce,
  queryRows,
  recordTopic,
  startSystem,
  waitFor,
  waitForStatus,
} from "../harness/index.js";

type DeadLetter = DeadLetterMessage;

describe("messages that can never be applied", () => {
  let system: AppSystem;
  let deadLetters: Awaited<ReturnType<typeof recordTopic>>;
  beforeAll(async () => {
    system = await startSystem();
    deadLetters = await recordTopic(system.topics.deadLetter);
  });
  afterAll(async () => {
    await deadLetters?.stop();
    await system?.close();
  });

  it("when poison reaches room-reserve, then it is dead-lettered with its reason and later bookings of that room still succeed", async () => {
    const room = await createRoom(system.room, { units: 1 });
    const valid = newRoomReserve({ reservationId: randomUUID(), roomId: room.id, ...aStay() });
    const poison = [
      "this is not JSON",
      JSON.stringify({ hello: "world" }),
      JSON.stringify({ ...valid, version: 9 }),
      JSON.stringify({ ...valid, checkIn: "2025-02-30" }),
    ];
    await produce(
      system.topics.roomReserve,
      poison.map((value) => ({ key: room.id, value })),
    );

    const booking = await book(system.reservation, aBooking({ roomId: room.id }));
    await waitForStatus(system.reservation, booking.id, ["SUCCESS"]);

    const letters = (await deadLetters.until((m) => m.length >= 4)).map((m) => JSON.parse(m.value ?? "") as DeadLetter);
    expect(letters.map((l) => [l.service, l.sourceTopic, l.value])).toEqual(
      poison.map((value) => ["room-service", system.topics.roomReserve, value]),
    );
    expect(letters[0]?.reason).toMatch(/^not JSON/);
    expect(letters[1]?.reason).toMatch(/^schema: version: required, expected 1 or 2/);
    expect(letters[2]?.reason).toMatch(/version: unsupported schema version/);
    expect(letters[3]?.reason).toMatch(/checkIn: must be a real calendar date/);
  });

  it("when a result names a reservation that does not exist, then it is dead-lettered and the consumer goes on", async () => {
    const before = deadLetters.received.length;
    const orphan = newTransactionResult({ reservationId: randomUUID(), status: "SUCCESS" });
    await produce(system.topics.transactionResult, [{ key: orphan.reservationId, value: JSON.stringify(orphan) }]);

    const letters = await deadLetters.until((m) => m.length > before);
    const letter = JSON.parse(letters.at(-1)?.value ?? "") as DeadLetter;
    expect(letter).toMatchObject({
      service: "reservation-service",
      reason: `reservation ${orphan.reservationId} does not exist`,
    });

    const room = await createRoom(system.room);
    const booking = await book(system.reservation, aBooking({ roomId: room.id }));
    await waitForStatus(system.reservation, booking.id, ["SUCCESS"]);
  });

  const letters = () => deadLetters.received.map((m) => JSON.parse(m.value ?? "") as DeadLetter);
  const letterFor = async (what: string, match: (letter: DeadLetter) => boolean): Promise<DeadLetter> =>
    (await waitFor(
      async () => letters().find(match),
      (letter) => letter !== undefined,
      { what },
    )) as DeadLetter;
  const taken = (roomId: string, stay: { checkIn: string; checkOut: string }) =>
    availability(system.room, roomId, stay.checkIn, stay.checkOut);

  it("when one message fails in the database every time, then after bounded tries only it is dead-lettered with the database's error, and the messages around it apply", async () => {
    const rooms = await Promise.all([1, 2, 3, 4, 5].map(() => createRoom(system.room, { units: 3 })));
    const stay = aStay(2);
    const reserve = (roomId: string) => newRoomReserve({ reservationId: randomUUID(), roomId, ...stay });
    const first = rooms[0] as { id: string };
    const poison = reserve(first.id);
    const around = [reserve(first.id), ...rooms.map((room) => reserve(room.id)), reserve(first.id)];
    // The room database refuses this one hold, every time: as a constraint, a bad cast or a trigger would.
    const constraint = `refuses_${randomBytes(4).toString("hex")}`;
    await onRoomDatabase(
      `ALTER TABLE "holds" ADD CONSTRAINT "${constraint}" CHECK ("reservation_id" <> '${poison.reservationId}')`,
    );
    try {
      const [before, ...after] = around as [typeof poison];
      await produce(
        system.topics.roomReserve,
        [before, poison, ...after].map((m) => ({ key: firstRoomOf(m), value: JSON.stringify(m) })),
      );

      const letter = await letterFor("the poison's dead letter", (l) => l.value?.includes(poison.messageId) === true);
      expect(letter.reason).toMatch(new RegExp(`^23514: .*${constraint}`));
      await waitFor(
        () => Promise.all(rooms.map((room) => taken(room.id, stay))),
        (nights) => nights.every((n, i) => n.every((night) => night.available === (i === 0 ? 0 : 2))),
        { what: "every other reserve to take its nights (three on the first room, one on each other)" },
      );
    } finally {
      await onRoomDatabase(`ALTER TABLE "holds" DROP CONSTRAINT "${constraint}"`);
    }
  });

  it("when a poison message is larger than a dead letter may be, then its dead letter is cut, and keeps the original's size and SHA-256", async () => {
    // Some deployments let a topic take larger messages than the dead-letter topic does.
    await alterTopic(system.topics.roomReserve, { "max.message.bytes": String(3 * 1024 * 1024) });
    const room = await createRoom(system.room, { units: 1 });
    const value = JSON.stringify({ roomId: room.id, padding: "x".repeat(2 * 1024 * 1024) });

    await produce(system.topics.roomReserve, [{ key: room.id, value }]);

    const letter = await letterFor("the large poison's dead letter", (l) => l.valueBytes === Buffer.byteLength(value));
    expect(letter).toMatchObject({
      truncated: true,
      valueSha256: createHash("sha256").update(value).digest("hex"),
      reason: expect.stringMatching(/^schema: /),
    });
    expect(letter.value).toHaveLength(100_000);
    const booking = await book(system.reservation, aBooking({ roomId: room.id }));
    await waitForStatus(system.reservation, booking.id, ["SUCCESS"]);
  });

  it("when a room-cancel names another room than the booking's hold, then it is dead-lettered, frees nothing, and the guest's own cancel still gives the nights back", async () => {
    const [held, other] = [await createRoom(system.room, { units: 1 }), await createRoom(system.room, { units: 1 })];
    const stay = aStay(2);
    const booking = await book(system.reservation, aBooking({ roomId: held.id, ...stay }));
    await waitForStatus(system.reservation, booking.id, ["SUCCESS"]);
    const forged = newRoomCancel({ reservationId: booking.id, roomId: other.id, ...stay });

    await produce(system.topics.roomCancel, [{ key: other.id, value: JSON.stringify(forged) }]);

    const letter = await letterFor(
      "the forged cancel's dead letter",
      (l) => l.value?.includes(forged.messageId) === true,
    );
    expect(letter.reason).toMatch(new RegExp(`names room ${other.id} .* but its hold \\(HELD\\) is room ${held.id}`));
    expect((await taken(held.id, stay)).map((n) => n.available)).toEqual([0, 0]);
    const cancel = await system.reservation.inject({
      method: "POST",
      url: `/reservations/${booking.id}/cancel`,
      headers: asStaff(),
    });
    expect(cancel.statusCode).toBe(202);
    await waitForStatus(system.reservation, booking.id, ["CANCEL"]);
    expect((await taken(held.id, stay)).map((n) => n.available)).toEqual([1, 1]);
  });

  const onRoomDatabase = (sql: string) => queryRows(system.databases.room, sql);
});
