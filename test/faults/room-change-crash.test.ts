import { formatDate, type RoomLine, type TransactionResultMessage, toUtcDate } from "@saga/contracts";
import { afterEach, describe, expect, it } from "vitest";
import "../harness/fault-meta.js";
import {
  asGuest,
  asStaff,
  burst,
  createRooms,
  expectNothingLost,
  faultReport,
  http,
  type ProcessSystem,
  queryRows,
  recordTopic,
  startSystem,
  waitAllFinal,
  waitFor,
} from "../harness/index.js";

const dayAfter = (date: string) => formatDate(new Date(toUtcDate(date).getTime() + 86_400_000));

interface Held {
  id: string;
  rooms: RoomLine[];
  checkIn: string;
  checkOut: string;
}

// Guests move their bookings to other dates (PATCH /reservations/:id); the room service moves each
// hold in one transaction (room-change). Killed in the middle of a stream of them, every booking
// must end SUCCESS holding exactly one of its two stays, in every room, the booking at the same
// dates as its hold, with each night's count agreeing with the holds.
describe("the room service killed with SIGKILL in the middle of date changes", () => {
  let system: ProcessSystem | undefined;
  afterEach(async () => {
    await system?.stop();
  });

  it("when it is killed and restarted, then every answer to a change says the same, and each booking holds exactly its old stay or its new one", async ({
    task,
  }) => {
    // Changes unanswered for a second are sent again: copies are answered while the room service is back.
    system = await startSystem({ processes: true, env: { CANCEL_RESEND_MS: "1000", CANCEL_RESEND_MAX_MS: "2000" } });
    const rooms = await createRooms(system, [10, 12, 14, 16]);
    const load = burst(system, rooms, 120, 40);
    await load.done;
    await waitAllFinal(system, load.accepted);
    const held = await queryRows<Held>(
      system.databases.reservation,
      `SELECT "id"::text AS "id", to_char("check_in", 'YYYY-MM-DD') AS "checkIn",
              to_char("check_out", 'YYYY-MM-DD') AS "checkOut",
              COALESCE("rooms", jsonb_build_array(jsonb_build_object('roomId', "room_id", 'quantity', 1))) AS "rooms"
       FROM "reservations" WHERE "id" = ANY($1::uuid[]) AND "status" = 'SUCCESS'`,
      [load.accepted],
    );
    expect(held.length).toBeGreaterThan(30);
    // Every unit of the first room taken, by one booking, on the night its bookings would move to:
    // their changes are refused, the others' go through.
    const first = held.find((b) => b.rooms.length === 1 && b.rooms[0]?.roomId === rooms[0]) as Held;
    const blocking = await http<{ id: string }>(`${system.url("reservation")}/reservations`, {
      method: "POST",
      headers: asGuest("blocking-guest"),
      json: {
        rooms: [{ roomId: rooms[0], quantity: 10 }],
        guestName: "Blocking",
        checkIn: first.checkOut,
        checkOut: dayAfter(first.checkOut),
      },
    });
    expect(blocking.status).toBe(202);
    await waitAllFinal(system, [blocking.body.id]);

    // Each booking one night later, asked for over the API as a guest would (staff, who may change
    // any booking): some fit, some find the night taken by another.
    const changes = held.map((b) => ({
      id: b.id,
      from: { checkIn: b.checkIn, checkOut: b.checkOut },
      to: { checkIn: dayAfter(b.checkIn), checkOut: dayAfter(b.checkOut) },
    }));
    const patch = async (change: (typeof changes)[number]) => {
      const res = await http<{ status: string }>(`${system?.url("reservation")}/reservations/${change.id}`, {
        method: "PATCH",
        headers: asStaff(),
        json: change.to,
      });
      expect(res.status).toBe(202);
      expect(res.body.status).toBe("CHANGE_PENDING");
    };
    const results = await recordTopic(system.topics.transactionResult);
    const answers = () =>
      results.json<TransactionResultMessage>().filter((r) => r.status === "CHANGED" || r.status === "CHANGE_REFUSED");
    try {
      // Half the changes, the room service killed once it answers the first, the other half asked
      // for while it is down: it restarts with changes outstanding and, maybe, one it was applying.
      const half = Math.ceil(changes.length / 2);
      for (const change of changes.slice(0, half)) await patch(change);
      await waitFor(
        async () => answers().length,
        (n) => n >= 1,
        { what: "the first change answered" },
      );
      const { signal } = await system.service("room").kill("SIGKILL");
      expect(signal).toBe("SIGKILL");
      for (const change of changes.slice(half)) await patch(change);
      await system.start("room");
      await waitAllFinal(
        system,
        changes.map((c) => c.id),
        120_000,
      );

      // One decision per change: the relay may publish a reply twice across the kill (at least
      // once), and the reservation service sends a change again while the room service is away
      // (each copy answered), but every answer to one change says the same.
      const decided = new Map(answers().map((a) => [a.messageId, a]));
      const byChange = new Map<string, Set<string>>();
      for (const a of decided.values()) {
        const said = `${a.reservationId} ${a.status} ${"checkIn" in a ? `${a.checkIn}..${a.checkOut}` : ""}`;
        byChange.set(a.changeId, (byChange.get(a.changeId) ?? new Set()).add(said));
      }
      expect([...byChange.values()].filter((said) => said.size !== 1)).toEqual([]);
      expect(new Set([...decided.values()].map((a) => a.reservationId)).size).toBe(changes.length);
      const holds = await queryRows<{ reservationId: string; checkIn: string; checkOut: string; rows: number }>(
        system.databases.room,
        `SELECT "reservation_id"::text AS "reservationId", min(to_char("check_in", 'YYYY-MM-DD')) AS "checkIn",
                min(to_char("check_out", 'YYYY-MM-DD')) AS "checkOut", count(DISTINCT ("check_in", "check_out"))::int AS "rows"
         FROM "holds" WHERE "reservation_id" = ANY($1::uuid[]) AND "status" = 'HELD' GROUP BY 1`,
        [held.map((b) => b.id)],
      );
      const bookings = await queryRows<{ id: string; status: string; checkIn: string; checkOut: string; last: string }>(
        system.databases.reservation,
        `SELECT "id"::text AS "id", "status"::text AS "status", to_char("check_in", 'YYYY-MM-DD') AS "checkIn",
                to_char("check_out", 'YYYY-MM-DD') AS "checkOut", "last_change"->>'status' AS "last"
         FROM "reservations" WHERE "id" = ANY($1::uuid[])`,
        [held.map((b) => b.id)],
      );
      const holdOf = new Map(holds.map((h) => [h.reservationId, h]));
      const bookingOf = new Map(bookings.map((b) => [b.id, b]));
      const moved = changes.filter((c) => bookingOf.get(c.id)?.last === "CHANGED");
      for (const change of changes) {
        const hold = holdOf.get(change.id);
        const booking = bookingOf.get(change.id);
        const expected = booking?.last === "CHANGED" ? change.to : change.from;
        // One stay, the same in every room of the booking, and the booking at it, confirmed.
        expect(booking).toMatchObject({ status: "SUCCESS", ...expected });
        expect(hold).toMatchObject({ ...expected, rows: 1 });
      }
      console.log(
        `room-change across a SIGKILL: ${changes.length} changes, ${moved.length} moved, ` +
          `${changes.length - moved.length} refused, ${decided.size - byChange.size} copies answered, ` +
          `${answers().length - decided.size} replies published twice`,
      );
      expect(moved.length).toBeGreaterThan(0);
      expect(moved.length).toBeLessThan(changes.length);

      const report = await faultReport(system, "SIGKILL room service mid-change", load, rooms);
      task.meta.fault = report;
      expectNothingLost(report);
    } finally {
      await results.stop();
    }
  });
});
