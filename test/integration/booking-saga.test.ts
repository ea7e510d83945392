import { randomUUID } from "node:crypto";
import { newRoomReserve } from "@saga/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppSystem,
  aBooking,
  aStay,
  asGuest,
  asStaff,
  availability,
  book,
  createRoom,
  getBooking,
  produce,
  startSystem,
  waitFor,
  waitForStatus,
} from "../harness/index.js";

describe("the booking saga", () => {
  let system: AppSystem;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(() => system?.close());

  it("when a room has a free unit, then the booking succeeds and only its nights lose one unit", async () => {
    const room = await createRoom(system.room, { units: 2 });
    const stay = aStay(3);
    const window = { from: shiftDays(stay.checkIn, -10), to: shiftDays(stay.checkOut, 10) };
    const before = await availability(system.room, room.id, window.from, window.to);

    const accepted = await book(system.reservation, aBooking({ roomId: room.id, ...stay }));
    expect(accepted.status).toBe("PENDING");
    const booking = await waitForStatus(system.reservation, accepted.id, ["SUCCESS", "FAILURE"]);

    expect(booking).toMatchObject({ status: "SUCCESS", reason: null, roomId: room.id, ...stay });
    const after = await availability(system.room, room.id, window.from, window.to);
    const changed = after.filter((night, i) => night.available !== before[i]?.available);
    expect(changed.map((n) => n.date)).toEqual([stay.checkIn, ...nightsAfter(stay.checkIn, 2)]);
    expect(changed.every((n) => n.available === 1)).toBe(true);
  });

  it("when the room does not exist, then the booking fails with ROOM_NOT_FOUND", async () => {
    const accepted = await book(system.reservation, aBooking());
    const booking = await waitForStatus(system.reservation, accepted.id, ["SUCCESS", "FAILURE"]);
    expect(booking).toMatchObject({ status: "FAILURE", reason: "ROOM_NOT_FOUND" });
  });

  it("when one night of the stay is full, then the booking fails with NO_AVAILABILITY and takes nothing", async () => {
    const room = await createRoom(system.room, { units: 1 });
    const stay = aStay(3);
    const first = await book(
      system.reservation,
      aBooking({ roomId: room.id, checkIn: stay.checkIn, checkOut: nightsAfter(stay.checkIn, 1)[0] }),
    );
    await waitForStatus(system.reservation, first.id, ["SUCCESS"]);
    const before = await availability(system.room, room.id, stay.checkIn, stay.checkOut);

    const second = await book(system.reservation, aBooking({ roomId: room.id, ...stay }));
    const booking = await waitForStatus(system.reservation, second.id, ["SUCCESS", "FAILURE"]);

    expect(booking).toMatchObject({ status: "FAILURE", reason: "NO_AVAILABILITY" });
    expect(await availability(system.room, room.id, stay.checkIn, stay.checkOut)).toEqual(before);
  });

  it("when a confirmed booking is cancelled, then its nights come back exactly and other bookings keep theirs", async () => {
    const room = await createRoom(system.room, { units: 3 });
    const stay = aStay(4);
    const kept = await book(system.reservation, aBooking({ roomId: room.id, ...stay }));
    await waitForStatus(system.reservation, kept.id, ["SUCCESS"]);
    const before = await availability(system.room, room.id, stay.checkIn, stay.checkOut);
    const cancelled = await book(system.reservation, aBooking({ roomId: room.id, ...stay }));
    await waitForStatus(system.reservation, cancelled.id, ["SUCCESS"]);

    const res = await system.reservation.inject({
      method: "POST",
      url: `/reservations/${cancelled.id}/cancel`,
      headers: asStaff(),
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ id: cancelled.id, status: "CANCEL_PENDING" });
    await waitForStatus(system.reservation, cancelled.id, ["CANCEL"]);

    expect(await availability(system.room, room.id, stay.checkIn, stay.checkOut)).toEqual(before);
    expect((await getBooking(system.reservation, kept.id)).status).toBe("SUCCESS");
  });

  it("when a booking is cancelled while still PENDING, then it ends CANCEL and keeps no nights", async () => {
    const room = await createRoom(system.room, { units: 1 });
    const stay = aStay(2);
    const accepted = await book(system.reservation, aBooking({ roomId: room.id, ...stay }));

    const res = await system.reservation.inject({
      method: "POST",
      url: `/reservations/${accepted.id}/cancel`,
      headers: asStaff(),
    });
    expect(res.statusCode).toBe(202);
    await waitForStatus(system.reservation, accepted.id, ["CANCEL"]);

    const nights = await availability(system.room, room.id, stay.checkIn, stay.checkOut);
    expect(nights.every((n) => n.available === 1)).toBe(true);
  });

  it("when a failed booking is cancelled, then it is refused with 409; a cancelled one answers with its state", async () => {
    const failed = await book(system.reservation, aBooking());
    await waitForStatus(system.reservation, failed.id, ["FAILURE"]);
    const refused = await system.reservation.inject({
      method: "POST",
      url: `/reservations/${failed.id}/cancel`,
      headers: asStaff(),
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: "NOT_CANCELLABLE" });

    const room = await createRoom(system.room);
    const done = await book(system.reservation, aBooking({ roomId: room.id }));
    await waitForStatus(system.reservation, done.id, ["SUCCESS"]);
    await system.reservation.inject({ method: "POST", url: `/reservations/${done.id}/cancel`, headers: asStaff() });
    await waitForStatus(system.reservation, done.id, ["CANCEL"]);
    const again = await system.reservation.inject({
      method: "POST",
      url: `/reservations/${done.id}/cancel`,
      headers: asStaff(),
    });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ status: "CANCEL" });
  });

  it("when the room id arrives in capitals, as .NET clients send GUIDs, then the booking succeeds and its id in capitals finds it", async () => {
    const room = await createRoom(system.room, { units: 1 });
    const stay = aStay(2);

    const accepted = await book(system.reservation, aBooking({ roomId: room.id.toUpperCase(), ...stay }));
    const booking = await waitForStatus(system.reservation, accepted.id, ["SUCCESS", "FAILURE"]);

    expect(booking).toMatchObject({ status: "SUCCESS", roomId: room.id });
    expect(await getBooking(system.reservation, accepted.id.toUpperCase())).toMatchObject({ id: accepted.id });
    expect((await availability(system.room, room.id.toUpperCase(), stay.checkIn, stay.checkOut))[0]?.available).toBe(0);
    const cancel = await system.reservation.inject({
      method: "POST",
      url: `/reservations/${accepted.id.toUpperCase()}/cancel`,
      headers: asStaff(),
    });
    expect(cancel.statusCode).toBe(202);
    await waitForStatus(system.reservation, accepted.id, ["CANCEL"]);
  });

  it("when a room-reserve carries its ids in capitals, then the room service takes that room's nights", async () => {
    const room = await createRoom(system.room, { units: 2 });
    const stay = aStay(2);
    const reserve = newRoomReserve({ reservationId: randomUUID(), roomId: room.id, ...stay });
    const shouted = {
      ...reserve,
      messageId: reserve.messageId.toUpperCase(),
      reservationId: reserve.reservationId.toUpperCase(),
      roomId: room.id.toUpperCase(),
    };

    await produce(system.topics.roomReserve, [{ key: shouted.roomId, value: JSON.stringify(shouted) }]);

    await waitFor(
      () => availability(system.room, room.id, stay.checkIn, stay.checkOut),
      (nights) => nights.every((night) => night.available === 1),
      { what: "the reserve in capitals to take one unit of each night" },
    );
  });

  it("when the same Idempotency-Key is sent twice, then one booking is made and returned twice", async () => {
    const body = aBooking();
    const headers = { "idempotency-key": `key-${body.roomId}`, ...asGuest(`guest-${body.roomId}`) };
    const [first, second] = await Promise.all([
      book(system.reservation, body, headers),
      book(system.reservation, body, headers),
    ]);
    expect(second.id).toBe(first.id);

    const reused = await system.reservation.inject({
      method: "POST",
      url: "/reservations",
      headers,
      payload: { ...body, guestName: "Someone Else" },
    });
    expect(reused.statusCode).toBe(409);
    expect(reused.json()).toMatchObject({ code: "IDEMPOTENCY_KEY_REUSED" });
  });
});

function shiftDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function nightsAfter(date: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => shiftDays(date, i + 1));
}
