import { randomUUID } from "node:crypto";
import type { ServiceName } from "@saga/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  aStay,
  asGuest,
  asStaff,
  checkInvariant,
  FINAL,
  http,
  type ProcessSystem,
  prepaid,
  recordTopic,
  startSystem,
  waitFor,
} from "../harness/index.js";
import { PREVIOUS_RELEASE, previousBuild } from "../harness/previous-release.js";

interface Booking {
  id: string;
  status: string;
  reason: string | null;
}

// Halfway through an upgrade: one service still runs the previous release (the build before
// bookings of several rooms, date changes and the messages that carry them), the others this one,
// with MULTI_ROOM_MESSAGES and DATE_CHANGES off as the upgrade order says. Bookings of one room must
// keep working both ways, with nothing dead-lettered and nothing lost or doubled, and a date change
// is refused before anything is sent.
describe.each<[string, ServiceName]>([
  ["the previous release's room service beside this build's reservation service", "room"],
  ["the previous release's reservation service beside this build's room service", "reservation"],
  ["the previous release's payment service beside this build's reservation and room services", "payment"],
])(`a rolling upgrade from ${PREVIOUS_RELEASE}: %s`, (_, old) => {
  let system: ProcessSystem;
  beforeAll(async () => {
    const previous = await previousBuild();
    system = await startSystem({ processes: true, start: [], label: `upgrade-${old}` });
    const env = { MULTI_ROOM_MESSAGES: "false", DATE_CHANGES: "false" };
    for (const name of ["room", "payment", "reservation"] as const)
      await system.start(name, env, name === old ? previous : undefined);
  });
  afterAll(() => system?.stop());

  it("when guests book, pay and cancel single rooms, then every booking ends as it should, nothing is dead-lettered and the books balance", async () => {
    const deadLetters = await recordTopic(system.topics.deadLetter);
    try {
      const url = (name: ServiceName) => system.url(name);
      const room = async (body: object) => {
        const res = await http<{ id: string }>(`${url("room")}/rooms`, {
          method: "POST",
          headers: asStaff(),
          json: { name: "Upgrade", units: 2, ...body },
        });
        expect(res.status).toBe(201);
        return res.body.id;
      };
      const [plain, paid] = [await room({}), await room(prepaid(9_000))];
      const guest = `guest-${randomUUID()}`;
      const credit = await http(`${url("payment")}/accounts/${guest}/credits`, {
        method: "POST",
        headers: asStaff(),
        json: { amount: 100_000, currency: "EUR" },
      });
      expect(credit.status).toBe(201);

      const requests = [
        { roomId: plain, ...aStay(2, 500) },
        { roomId: plain, ...aStay(2, 500) },
        { roomId: plain, ...aStay(2, 500) },
        // One unit of one room as `rooms` (this build's API; the previous one knows only roomId).
        old === "reservation"
          ? { roomId: paid, ...aStay(3, 520) }
          : { rooms: [{ roomId: paid, quantity: 1 }], ...aStay(3, 520) },
        { roomId: paid, ...aStay(3, 520), expectedTotal: { amount: 27_000, currency: "EUR" } },
      ];
      const bookings: string[] = [];
      for (const body of requests) {
        const res = await http<Booking>(`${url("reservation")}/reservations`, {
          method: "POST",
          headers: asGuest(guest),
          json: { guestName: "Ada Lovelace", ...body },
        });
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        bookings.push(res.body.id);
      }
      const read = async (id: string) =>
        (await http<Booking>(`${url("reservation")}/reservations/${id}`, { headers: asStaff() })).body;
      const final = (id: string) =>
        waitFor(
          () => read(id),
          (b) => (FINAL as readonly string[]).includes(b.status),
          { what: `booking ${id} final` },
        );
      const ended = [];
      for (const id of bookings) ended.push(await final(id));
      expect(ended.map((b) => `${b.status} ${b.reason ?? ""}`.trim())).toEqual([
        "SUCCESS",
        "SUCCESS",
        "FAILURE NO_AVAILABILITY",
        "SUCCESS",
        "SUCCESS",
      ]);

      for (const id of [bookings[0], bookings[3]] as string[]) {
        const res = await http(`${url("reservation")}/reservations/${id}/cancel`, {
          method: "POST",
          headers: asGuest(guest),
        });
        expect(res.status).toBe(202);
        await waitFor(
          () => read(id),
          (b) => b.status === "CANCEL",
          { what: `booking ${id} cancelled` },
        );
      }

      // The old service is the previous build indeed: its API knows nothing of several rooms.
      if (old === "reservation") {
        const res = await http<{ fields: { field: string }[] }>(`${url("reservation")}/reservations`, {
          method: "POST",
          headers: asGuest(guest),
          json: { rooms: [{ roomId: plain, quantity: 1 }], guestName: "Ada Lovelace", ...aStay(2, 540) },
        });
        expect(res.status).toBe(400);
        expect(res.body.fields.map((f) => f.field)).toContain("body.roomId");
      } else if (old === "room") {
        const res = await http<object>(`${url("room")}/holds/${bookings[0]}/history`, { headers: asStaff() });
        expect(res.status).toBe(200);
        expect(res.body).not.toHaveProperty("rooms");
      }

      // A date change needs room-change read by every room service, and payment-request version 2 by
      // every payment service: with the switch off, this build refuses it and sends nothing (the
      // previous build has no such route).
      const change = await http<{ code: string }>(`${url("reservation")}/reservations/${bookings[1]}`, {
        method: "PATCH",
        headers: asGuest(guest),
        json: aStay(2, 560),
      });
      if (old === "reservation") expect(change.status).toBe(404);
      else expect([change.status, change.body.code]).toEqual([400, "DATE_CHANGES_DISABLED"]);
      expect(await read(bookings[1] as string)).toMatchObject({ status: "SUCCESS" });

      const report = await checkInvariant(system.databases);
      expect(report.byStatus).toEqual({ SUCCESS: 2, CANCEL: 2, FAILURE: 1 });
      expect(report.nightMismatches).toEqual([]);
      expect(report.holdMismatches).toEqual([]);
      expect(report.moneyMismatches).toEqual([]);
      expect(report.overbooked).toEqual([]);
      expect(report.ledger.total).toBe(0);
      const account = await http<{ balances: { amount: number }[] }>(`${url("payment")}/accounts/me`, {
        headers: asGuest(guest),
      });
      // Two prepaid stays of 27 000 charged, one refunded in full (cancelled long before its stay).
      expect(account.body.balances).toEqual([{ amount: 73_000, currency: "EUR" }]);
      await deadLetters.caughtUp();
      expect(deadLetters.received).toEqual([]);
    } finally {
      await deadLetters.stop();
    }
  });
});
