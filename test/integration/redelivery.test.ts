import { randomUUID } from "node:crypto";
import { newRoomReserve, type TransactionResultMessage } from "@saga/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppSystem,
  aBooking,
  aStay,
  asStaff,
  availability,
  book,
  createRoom,
  getBooking,
  produce,
  recordTopic,
  startSystem,
  waitForStatus,
} from "../harness/index.js";

describe("redelivered messages", () => {
  let system: AppSystem;
  let results: Awaited<ReturnType<typeof recordTopic>>;
  beforeAll(async () => {
    system = await startSystem();
    results = await recordTopic(system.topics.transactionResult);
  });
  afterAll(async () => {
    await results?.stop();
    await system?.close();
  });

  const resultsFor = (reservationId: string) =>
    results.json<TransactionResultMessage>().filter((r) => r.reservationId === reservationId);

  it("when the same room-reserve is delivered twice, then the nights are taken once and answered once", async () => {
    const room = await createRoom(system.room, { units: 5 });
    const stay = aStay(2);
    const duplicated = newRoomReserve({ reservationId: randomUUID(), roomId: room.id, ...stay });
    const marker = newRoomReserve({ reservationId: randomUUID(), roomId: room.id, ...stay });
    const asRecord = (m: object) => ({ key: room.id, value: JSON.stringify(m) });

    // Same key, so same partition: once the marker is answered, both copies were consumed.
    await produce(system.topics.roomReserve, [asRecord(duplicated), asRecord(duplicated), asRecord(marker)]);
    await results.until(() => resultsFor(marker.reservationId).length === 1, "the marker's result");
    // Results are keyed by reservation, so they sit on other partitions: read each to its end.
    await results.caughtUp();

    expect(resultsFor(duplicated.reservationId).map((r) => r.status)).toEqual(["SUCCESS"]);
    const nights = await availability(system.room, room.id, stay.checkIn, stay.checkOut);
    expect(nights.map((n) => n.available)).toEqual([3, 3]);
  });

  it("when the same transaction-result is delivered twice, then the booking changes once", async () => {
    const room = await createRoom(system.room, { units: 1 });
    const accepted = await book(system.reservation, aBooking({ roomId: room.id }));
    const confirmed = await waitForStatus(system.reservation, accepted.id, ["SUCCESS"]);
    const [success] = resultsFor(accepted.id);
    if (!success) throw new Error("no SUCCESS result recorded");

    // Redeliver the SUCCESS twice, then cancel: the cancel's reply travels on the same partition after them.
    const record = { key: accepted.id, value: JSON.stringify(success) };
    await produce(system.topics.transactionResult, [record, record]);
    await system.reservation.inject({ method: "POST", url: `/reservations/${accepted.id}/cancel`, headers: asStaff() });
    const cancelled = await waitForStatus(system.reservation, accepted.id, ["CANCEL"]);

    expect(cancelled.status).toBe("CANCEL");
    expect(resultsFor(accepted.id).filter((r) => r.messageId === success.messageId)).toHaveLength(3);
    const inbox = await system.reservation.reservationDb.inboxMessage.count({
      where: { messageId: success.messageId },
    });
    expect(inbox).toBe(1);
    expect((await getBooking(system.reservation, accepted.id)).checkIn).toBe(confirmed.checkIn);
  });
});
