import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppSystem,
  aBooking,
  aStay,
  availability,
  book,
  checkInvariant,
  createRoom,
  FINAL,
  startSystem,
  waitForStatus,
} from "../harness/index.js";

describe("concurrent bookings of one room", () => {
  let system: AppSystem;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(() => system?.close());

  it("when 60 guests book the same nights of a room with 3 units at once, then exactly 3 succeed", async () => {
    const room = await createRoom(system.room, { units: 3 });
    const stay = aStay(3);

    const accepted = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        book(system.reservation, aBooking({ roomId: room.id, guestName: `Guest ${i}`, ...stay })),
      ),
    );
    const settled = await Promise.all(accepted.map((b) => waitForStatus(system.reservation, b.id, FINAL)));

    const succeeded = settled.filter((b) => b.status === "SUCCESS");
    const failed = settled.filter((b) => b.status === "FAILURE");
    expect(succeeded).toHaveLength(3);
    expect(failed).toHaveLength(57);
    expect(new Set(failed.map((b) => b.reason))).toEqual(new Set(["NO_AVAILABILITY"]));
    const nights = await availability(system.room, room.id, stay.checkIn, stay.checkOut);
    expect(nights.map((n) => n.available)).toEqual([0, 0, 0]);
    const report = await checkInvariant(system.databases, [room.id]);
    expect(report).toMatchObject({ nightMismatches: [], holdMismatches: [], overbooked: [] });
  });

  it("when overlapping stays compete for the last unit, then no night is ever taken twice", async () => {
    const room = await createRoom(system.room, { units: 1 });
    const base = aStay(6);
    const start = Date.parse(`${base.checkIn}T00:00:00Z`);
    const day = (n: number) => new Date(start + n * 86_400_000).toISOString().slice(0, 10);
    const stays = Array.from({ length: 30 }, (_, i) => ({ checkIn: day(i % 5), checkOut: day((i % 5) + 1 + (i % 3)) }));

    const accepted = await Promise.all(
      stays.map((stay) => book(system.reservation, aBooking({ roomId: room.id, ...stay }))),
    );
    await Promise.all(accepted.map((b) => waitForStatus(system.reservation, b.id, FINAL)));

    const nights = await availability(system.room, room.id, day(0), day(8));
    expect(nights.every((n) => n.available >= 0 && n.available <= 1)).toBe(true);
    const report = await checkInvariant(system.databases, [room.id]);
    expect(report.byStatus.SUCCESS).toBeGreaterThan(0);
    expect(report).toMatchObject({ nightMismatches: [], holdMismatches: [], overbooked: [] });
  });
});
