import { randomUUID } from "node:crypto";
import { newRoomReserve } from "@saga/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppSystem,
  aStay,
  availability,
  createRoom,
  produceCompressed,
  startSystem,
  waitFor,
} from "../harness/index.js";

// kafkajs reads only gzip by itself: one record compressed otherwise used to crash the consumer
// for good, at the same offset on every restart, while liveness kept answering 200.
describe("records compressed by other Kafka clients", () => {
  let system: AppSystem;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(() => system?.close());

  for (const codec of ["gzip", "snappy", "lz4", "zstd"] as const) {
    it(`when a room-reserve arrives compressed with ${codec} (by Kafka's own console producer), then the room service applies it and stays alive`, async () => {
      const room = await createRoom(system.room, { units: 2 });
      const stay = aStay(2);
      const reserve = newRoomReserve({ reservationId: randomUUID(), roomId: room.id, ...stay });

      await produceCompressed(system.topics.roomReserve, codec, [{ key: room.id, value: JSON.stringify(reserve) }]);

      await waitFor(
        () => availability(system.room, room.id, stay.checkIn, stay.checkOut),
        (nights) => nights.every((night) => night.available === 1),
        { what: `the ${codec} reserve to take one unit of each night` },
      );
      expect((await system.room.inject({ method: "GET", url: "/health/live" })).statusCode).toBe(200);
    });
  }
});
