import { formatDate, toUtcDate } from "@saga/contracts";
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
  queryRows,
  startSystem,
  waitAllFinal,
  waitFor,
} from "../harness/index.js";

const dayAfter = (date: string) => formatDate(new Date(toUtcDate(date).getTime() + 86_400_000));

// A date change's room-change can be lost before the room service reads it, as a room-cancel can
// (dead-lettered, deleted, outlived by the topic's retention while the room service was down).
// Here its records are deleted from the topic before it is read: the reservation service sends the
// message each change awaits again until it is answered, so the changes go through, not time out.
describe("date changes lost before the room service read them", () => {
  let system: ProcessSystem | undefined;
  afterEach(async () => {
    await system?.stop();
  });

  it("when the room-changes are deleted from the topic, then they are sent again and each booking ends at its new dates or, refused, its old", async ({
    task,
  }) => {
    const running = await startSystem({
      processes: true,
      env: { CANCEL_RESEND_MS: "1000", CANCEL_RESEND_MAX_MS: "2000", SAGA_SWEEP_MS: "200" },
    });
    system = running;
    const rooms = await createRooms(running, [10, 12, 14, 16]);
    const load = burst(running, rooms, 60, 30);
    await load.done;
    await waitAllFinal(running, load.accepted);
    const held = await queryRows<{ id: string; checkIn: string; checkOut: string }>(
      running.databases.reservation,
      `SELECT "id"::text AS "id", to_char("check_in", 'YYYY-MM-DD') AS "checkIn",
              to_char("check_out", 'YYYY-MM-DD') AS "checkOut"
       FROM "reservations" WHERE "id" = ANY($1::uuid[]) AND "status" = 'SUCCESS'`,
      [load.accepted],
    );
    expect(held.length).toBeGreaterThan(20);
    const { code } = await running.service("room").kill("SIGTERM");
    expect(code).toBe(0);

    for (const b of held) {
      const res = await http<{ status: string }>(`${running.url("reservation")}/reservations/${b.id}`, {
        method: "PATCH",
        headers: asStaff(),
        json: { checkIn: dayAfter(b.checkIn), checkOut: dayAfter(b.checkOut) },
      });
      expect(res.status).toBe(202);
    }
    await waitFor(
      () => queryNumber(running.databases.reservation, `SELECT count(*)::int AS "n" FROM "outbox"`),
      (n) => n === 0,
      { what: "the reservation outbox to be published" },
    );
    await deleteAllRecords(`${running.env.KAFKA_TOPIC_PREFIX}room-change`);
    await running.start("room");

    const byStatus = await waitAllFinal(
      running,
      held.map((b) => b.id),
      90_000,
    );
    expect(byStatus).toEqual({ SUCCESS: held.length });
    const ended = await queryRows<{ status: string; reason: string | null; resends: number }>(
      running.databases.reservation,
      `SELECT "last_change"->>'status' AS "status", "last_change"->>'reason' AS "reason",
              (SELECT count(*)::int FROM "reservation_history" h
               WHERE h."reservation_id" = r."id" AND h."cause" = 'change-resend') AS "resends"
       FROM "reservations" r WHERE "id" = ANY($1::uuid[])`,
      [held.map((b) => b.id)],
    );
    // Sent again, not given up on: none timed out, some moved, any refused for a night taken.
    expect(ended.filter((e) => e.reason === "TIMEOUT")).toEqual([]);
    expect(ended.filter((e) => e.status === "CHANGED").length).toBeGreaterThan(0);
    expect(ended.every((e) => e.status === "CHANGED" || e.reason === "NO_AVAILABILITY")).toBe(true);
    expect(ended.some((e) => e.resends > 0)).toBe(true);
    console.log(
      `room-changes deleted before read: ${held.length} changes, ${ended.filter((e) => e.status === "CHANGED").length} moved, ` +
        `${ended.filter((e) => e.status === "REFUSED").length} refused, ${ended.reduce((n, e) => n + e.resends, 0)} re-sends`,
    );
    const report = await faultReport(running, "room-changes deleted before read", load, rooms);
    task.meta.fault = report;
    expectNothingLost(report);
  });
});
