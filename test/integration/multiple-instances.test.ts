import type { TransactionResultMessage } from "@saga/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppSystem,
  aBooking,
  aStay,
  book,
  checkInvariant,
  createRoom,
  FINAL,
  recordTopic,
  startSystem,
  waitForStatus,
} from "../harness/index.js";

describe("two instances of each service in one consumer group", () => {
  let system: AppSystem;
  let results: Awaited<ReturnType<typeof recordTopic>>;
  beforeAll(async () => {
    system = await startSystem({ instances: 2 });
    results = await recordTopic(system.topics.transactionResult);
  });
  afterAll(async () => {
    await results?.stop();
    await system?.close();
  });

  it("when bookings arrive at both instances, then every saga completes once and availability agrees", async () => {
    const rooms = await Promise.all(
      [1, 2, 3, 4].map((units) => createRoom(system.instances.room[units % 2] ?? system.room, { units })),
    );
    const stay = aStay(2);
    const accepted = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        book(
          system.instances.reservation[i % 2] ?? system.reservation,
          aBooking({ roomId: rooms[i % 4]?.id, ...stay }),
        ),
      ),
    );
    const settled = await Promise.all(
      accepted.map((b) => waitForStatus(system.instances.reservation[1] ?? system.reservation, b.id, FINAL)),
    );

    expect(settled.filter((b) => b.status === "SUCCESS")).toHaveLength(1 + 2 + 3 + 4);
    await results.until((m) => m.length >= accepted.length, "a result for every booking");
    await results.caughtUp();
    const perBooking = new Map<string, number>();
    for (const r of results.json<TransactionResultMessage>())
      perBooking.set(r.reservationId, (perBooking.get(r.reservationId) ?? 0) + 1);
    expect([...perBooking.values()].every((n) => n === 1)).toBe(true);
    expect(perBooking.size).toBe(accepted.length);
    const report = await checkInvariant(
      system.databases,
      rooms.map((r) => r.id),
    );
    expect(report).toMatchObject({ bookings: 40, nightMismatches: [], holdMismatches: [], overbooked: [] });
  });
});
