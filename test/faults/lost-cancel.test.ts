import { afterEach, describe, expect, it } from "vitest";
import "../harness/fault-meta.js";
import {
  asStaff,
  burst,
  createRooms,
  deleteAllRecords,
  expectNothingLost,
  faultReport,
  http,
  type ProcessSystem,
  queryNumber,
  startSystem,
  waitAllFinal,
  waitFor,
} from "../harness/index.js";

/** Waits until the reservation service's relay has handed everything it owes to Kafka. */
const outboxEmpty = (system: ProcessSystem) =>
  waitFor(
    () => queryNumber(system.databases.reservation, `SELECT count(*)::int AS "n" FROM "outbox"`),
    (n) => n === 0,
    { what: "the reservation outbox to be published" },
  );

// A room-cancel can be lost before the room service reads it: dead-lettered, deleted by an
// operator, or outlived by the topic's retention while the room service was down. Here its
// records are deleted from the topic (the Kafka admin API's delete-records) before it is read.
describe("a room-cancel lost before the room service read it", () => {
  let system: ProcessSystem | undefined;
  afterEach(async () => {
    await system?.stop();
  });
  const fast = { CANCEL_RESEND_MS: "1000", CANCEL_RESEND_MAX_MS: "2000" };

  it("when the cancels of confirmed bookings are deleted from the topic, then they are sent again and every booking ends CANCEL with its nights back", async ({
    task,
  }) => {
    const running = await startSystem({ processes: true, env: fast });
    system = running;
    const rooms = await createRooms(running, [2, 3, 5, 8]);
    const load = burst(running, rooms, 60, 30);
    await load.done;
    await waitAllFinal(running, load.accepted);
    const { code } = await running.service("room").kill("SIGTERM");
    expect(code).toBe(0);

    const cancelled: string[] = [];
    for (const id of load.accepted) {
      const res = await http<{ status: string }>(`${running.url("reservation")}/reservations/${id}/cancel`, {
        method: "POST",
        headers: asStaff(),
      });
      if (res.status === 202 && res.body.status === "CANCEL_PENDING") cancelled.push(id);
    }
    expect(cancelled.length).toBeGreaterThan(0);
    await outboxEmpty(running);
    await deleteAllRecords(`${running.env.KAFKA_TOPIC_PREFIX}room-cancel`);
    await running.start("room");

    const byStatus = await waitAllFinal(running, cancelled);
    expect(byStatus).toEqual({ CANCEL: cancelled.length });
    const report = await faultReport(running, "room-cancels of confirmed bookings deleted before read", load, rooms);
    task.meta.fault = report;
    expectNothingLost(report);
  });

  it("when the cancels of timed-out bookings are deleted from the topic, then they are sent again and every night taken late is given back", async ({
    task,
  }) => {
    const running = await startSystem({
      processes: true,
      env: { ...fast, SAGA_DEADLINE_MS: "2000", SAGA_SWEEP_MS: "200" },
    });
    system = running;
    const rooms = await createRooms(running, [2, 5]);
    const { code } = await running.service("room").kill("SIGTERM");
    expect(code).toBe(0);
    const load = burst(running, rooms, 30, 30);
    await load.done;
    expect(await waitAllFinal(running, load.accepted)).toEqual({ FAILURE: load.accepted.length });
    await outboxEmpty(running);

    await deleteAllRecords(`${running.env.KAFKA_TOPIC_PREFIX}room-cancel`);
    // The room service reads the stale reserves (and takes nights for them), but no cancel.
    await running.start("room");

    await waitFor(
      () =>
        queryNumber(
          running.databases.reservation,
          `SELECT count(*)::int AS "n" FROM "reservations" WHERE "id" = ANY($1::uuid[]) AND "cancel_due_at" IS NULL`,
          [load.accepted],
        ),
      (settled) => settled === load.accepted.length,
      { what: "every timed-out booking's cancel to be confirmed" },
    );
    const report = await faultReport(running, "room-cancels of timed-out bookings deleted before read", load, rooms);
    task.meta.fault = report;
    expectNothingLost(report);
  });
});
