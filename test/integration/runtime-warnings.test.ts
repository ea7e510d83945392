import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppSystem, aBooking, book, createRoom, FINAL, startSystem, waitForStatus } from "../harness/index.js";

describe("the services on the project's Node", () => {
  const warnings: Error[] = [];
  const collect = (warning: Error) => warnings.push(warning);
  let system: AppSystem;
  beforeAll(async () => {
    process.on("warning", collect);
    system = await startSystem();
  });
  afterAll(async () => {
    process.off("warning", collect);
    await system?.close();
  });

  it("when a booking goes through the saga, then the process is warned of no negative timeout (kafkajs is patched)", async () => {
    const room = await createRoom(system.room, { units: 1 });
    const booking = await book(system.reservation, aBooking({ roomId: room.id }));
    await waitForStatus(system.reservation, booking.id, FINAL);

    expect(warnings.filter((w) => w.name === "TimeoutNegativeWarning").map((w) => w.message)).toEqual([]);
  });
});
