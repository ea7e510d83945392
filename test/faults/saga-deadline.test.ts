import { afterEach, describe, expect, it } from "vitest";
import "../harness/fault-meta.js";
import {
  asStaff,
  burst,
  expectNothingLost,
  faultReport,
  http,
  type ProcessSystem,
  queryNumber,
  spawnService,
  startSystem,
  waitAllFinal,
  waitFor,
} from "../harness/index.js";

const releasedHolds = (system: ProcessSystem, reservationIds: string[]) =>
  queryNumber(
    system.databases.room,
    `SELECT count(*)::int AS "n" FROM "holds" WHERE "reservation_id" = ANY($1::uuid[]) AND "status" = 'RELEASED'`,
    [reservationIds],
  );

describe("a booking whose reply never comes in time", () => {
  let system: ProcessSystem | undefined;
  afterEach(async () => {
    await system?.stop();
  });

  it("when the room service is down past the saga deadline, then bookings fail with TIMEOUT and nights taken later are given back", async ({
    task,
  }) => {
    const running = await startSystem({ processes: true, env: { SAGA_DEADLINE_MS: "2000", SAGA_SWEEP_MS: "200" } });
    system = running;
    const rooms: string[] = [];
    for (const units of [2, 5]) {
      const res = await http<{ id: string }>(`${running.url("room")}/rooms`, {
        method: "POST",
        json: { name: "Late", units },
        headers: asStaff(),
      });
      rooms.push(res.body.id);
    }
    const { code } = await running.service("room").kill("SIGTERM");
    expect(code).toBe(0);

    const load = burst(running, rooms, 30, 30);
    await load.done;
    const byStatus = await waitAllFinal(running, load.accepted);
    expect(byStatus).toEqual({ FAILURE: load.accepted.length });
    const reasons = await Promise.all(
      load.accepted.map(
        async (id) =>
          (await http<{ reason: string }>(`${running.url("reservation")}/reservations/${id}`, { headers: asStaff() }))
            .body.reason,
      ),
    );
    expect(new Set(reasons)).toEqual(new Set(["TIMEOUT"]));

    // The room service comes back: it may take nights for the stale reserves, and must give every one back.
    running.services.set("room", await spawnService("room", running.env));
    await waitFor(
      () => releasedHolds(running, load.accepted),
      (n) => n === load.accepted.length,
      {
        what: "every timed-out booking's hold released",
      },
    );

    const report = await faultReport(running, "room service down past the saga deadline (TIMEOUT)", load, rooms);
    task.meta.fault = report;
    expectNothingLost(report);
  });
});
