import { randomUUID } from "node:crypto";
import { newRoomReserve, newTransactionResult } from "@saga/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aBooking, aStay, createRoom } from "../harness/factories.js";
import { produce, recordTopic } from "../harness/kafka.js";
import { book, waitForStatus } from "../harness/saga.js";
import { type System, startSystem } from "../harness/services.js";

interface DeadLetter {
  service: string;
  sourceTopic: string;
  key: string | null;
  value: string | null;
  reason: string;
}

describe("messages that can never be applied", () => {
  let system: System;
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
      JSON.stringify({ ...valid, version: 2 }),
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
    expect(letters[1]?.reason).toMatch(/^schema: .*messageId/);
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
});
