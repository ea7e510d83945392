import { afterEach, describe, expect, it } from "vitest";
import "../harness/fault-meta.js";
import {
  burst,
  burstUnderway,
  createRooms,
  expectNothingLost,
  faultReport,
  type ProcessSystem,
  queryRows,
  startSystem,
  waitAllFinal,
} from "../harness/index.js";

/** Each booking's final status and reason, with its room. */
const outcomes = (system: ProcessSystem, ids: string[]) =>
  queryRows<{ room_id: string; status: string; reason: string | null }>(
    system.databases.reservation,
    `SELECT "room_id"::text, "status"::text, "reason" FROM "reservations" WHERE "id" = ANY($1::uuid[])`,
    [ids],
  );

describe("messages that can never go where they are sent, in the middle of a burst", () => {
  let system: ProcessSystem | undefined;
  afterEach(async () => {
    await system?.stop();
  });

  it("when a 2 MB row lands in the reservation outbox, then it is set aside and every booking still completes, none by timing out", async ({
    task,
  }) => {
    system = await startSystem({ processes: true });
    const { rooms, load } = await burstUnderway(system, 200, 20, 40);

    const topic = `${system.env.KAFKA_TOPIC_PREFIX}room-reserve`;
    await queryRows(
      system.databases.reservation,
      `INSERT INTO "outbox" ("message_id", "topic", "key", "payload") VALUES (gen_random_uuid(), $1, $2, $3::jsonb)`,
      [topic, rooms[0], JSON.stringify({ padding: "x".repeat(2 * 1024 * 1024) })],
    );
    await load.done;
    await waitAllFinal(system, load.accepted);

    expect((await outcomes(system, load.accepted)).filter((b) => b.reason === "TIMEOUT")).toEqual([]);
    const refused = await queryRows(system.databases.reservation, `SELECT "topic", "reason" FROM "outbox_refused"`);
    expect(refused).toEqual([{ topic, reason: expect.stringMatching(/^MESSAGE_TOO_LARGE/) }]);
    const report = await faultReport(system, "2 MB row in the reservation outbox (set aside)", load, rooms);
    task.meta.fault = report;
    expectNothingLost(report);
  });

  it("when the room database refuses every hold of one room, then only that room's bookings fail, by their deadline, and the others complete", async ({
    task,
  }) => {
    system = await startSystem({ processes: true, env: { SAGA_DEADLINE_MS: "8000", SAGA_SWEEP_MS: "200" } });
    const rooms = await createRooms(system, [2, 3, 5, 8]);
    const refusing = rooms[3] as string;
    // A deterministic error, as a constraint, a bad cast or a trigger gives: it fails on every try,
    // here for every booking of one room, in chunks shared with the other rooms' bookings.
    await queryRows(
      system.databases.room,
      `ALTER TABLE "holds" ADD CONSTRAINT "refuses_one_room" CHECK (NOT ("room_id" = '${refusing}' AND "status" = 'HELD'))`,
    );
    const load = burst(system, rooms, 200, 20);
    await load.done;
    await waitAllFinal(system, load.accepted);

    const timedOut = (await outcomes(system, load.accepted)).filter((b) => b.reason === "TIMEOUT");
    expect(timedOut.length).toBeGreaterThan(0);
    expect(new Set(timedOut.map((b) => b.room_id))).toEqual(new Set([refusing]));
    const report = await faultReport(system, "room database refuses one room's holds (dead-lettered)", load, rooms);
    task.meta.fault = report;
    expectNothingLost(report);
  });
});
