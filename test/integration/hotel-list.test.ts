import { randomUUID } from "node:crypto";
import { hotelBookings } from "@saga/reservation/domain";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppSystem,
  aBooking,
  aStay,
  asGuest,
  asStaff,
  book,
  createRoom,
  FINAL,
  queryRows,
  startSystem,
  waitForStatus,
} from "../harness/index.js";

interface Listed {
  id: string;
  guestId: string;
  roomId: string;
  checkIn: string;
  status: string;
}
type Page = { items: Listed[]; nextCursor: string | null };

const byCheckInThenId = (a: Listed, b: Listed) =>
  a.checkIn === b.checkIn ? (a.id < b.id ? -1 : 1) : a.checkIn < b.checkIn ? -1 : 1;

function expectFields(res: LightMyRequestResponse, fields: string[]) {
  expect(res.statusCode, res.body).toBe(400);
  expect(res.json()).toMatchObject({ code: "VALIDATION_FAILED" });
  expect(res.json().fields.map((f: { field: string }) => f.field)).toEqual(fields);
}

// Staff's list of every guest's bookings (the hotel's, by check-in), narrowed by check-in dates,
// status and room, a page at a time; a guest's token still lists only the guest's own.
describe("the hotel's list of bookings", () => {
  let system: AppSystem;
  const guests = [`guest-${randomUUID()}`, `guest-${randomUUID()}`, `guest-${randomUUID()}`];
  let rooms: string[];
  const booked: Listed[] = [];

  const list = (query: string, headers = asStaff()) =>
    system.reservation.inject({ method: "GET", url: `/reservations?${query}`, headers });
  /** Every page of a list, following its cursors. */
  const allPages = async (query: string, headers = asStaff()) => {
    const items: Listed[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const res = await list(`${query}${cursor ? `&cursor=${cursor}` : ""}`, headers);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as Page;
      items.push(...page.items);
      cursor = page.nextCursor;
      if (!cursor) return items;
    }
    throw new Error("more than 50 pages");
  };

  beforeAll(async () => {
    system = await startSystem({ env: { RATE_LIMIT_BOOKINGS_PER_MINUTE: "10000" } });
    // One room of a single unit: the second booking of a stay on it fails, so the list holds two statuses.
    rooms = [(await createRoom(system.room, { units: 5 })).id, (await createRoom(system.room, { units: 1 })).id];
    for (let i = 0; i < 12; i++) {
      const roomId = rooms[i % 2] as string;
      const stay = aStay(2, 500 + (i % 4) * 10);
      const made = await book(system.reservation, aBooking({ roomId, ...stay }), asGuest(guests[i % 3] as string));
      const final = await waitForStatus(system.reservation, made.id, FINAL);
      booked.push({
        id: made.id,
        guestId: guests[i % 3] as string,
        roomId,
        checkIn: stay.checkIn,
        status: final.status,
      });
    }
  });
  afterAll(() => system?.close());

  it("when staff list without a guest, then every guest's bookings come by check-in then id, page by page, none twice", async () => {
    const seen = await allPages("limit=5");

    expect(seen.map((b) => b.id)).toEqual([...booked].sort(byCheckInThenId).map((b) => b.id));
    expect(new Set(seen.map((b) => b.guestId))).toEqual(new Set(guests));
  });

  it("when staff narrow the list by check-in dates, status and room, then it holds exactly the bookings that match, both ends included", async () => {
    const dates = [...new Set(booked.map((b) => b.checkIn))].sort();
    const [from, to] = [dates[1] as string, dates[2] as string];
    const expected = (match: (b: Listed) => boolean) =>
      booked
        .filter(match)
        .sort(byCheckInThenId)
        .map((b) => b.id);

    const inDates = await allPages(`limit=2&checkInFrom=${from}&checkInTo=${to}`);
    const failed = await allPages("status=FAILURE");
    const roomAndDates = await allPages(`roomId=${rooms[1]}&checkInFrom=${from}`);

    expect(inDates.map((b) => b.id)).toEqual(expected((b) => b.checkIn >= from && b.checkIn <= to));
    expect(inDates.length).toBeGreaterThan(0);
    expect(failed.map((b) => b.id)).toEqual(expected((b) => b.status === "FAILURE"));
    expect(failed.length).toBeGreaterThan(0);
    expect(roomAndDates.map((b) => b.id)).toEqual(expected((b) => b.roomId === rooms[1] && b.checkIn >= from));
  });

  it("when a guest lists with the same filters, then only the guest's own bookings come, newest first", async () => {
    const [guest] = guests as [string];
    const dates = [...new Set(booked.map((b) => b.checkIn))].sort();

    const own = await allPages("limit=3", asGuest(guest));
    const ownFrom = await allPages(`checkInFrom=${dates[2]}`, asGuest(guest));

    expect(own.map((b) => b.id)).toEqual(
      booked
        .filter((b) => b.guestId === guest)
        .map((b) => b.id)
        .reverse(),
    );
    expect(ownFrom.map((b) => b.id)).toEqual(
      booked
        .filter((b) => b.guestId === guest && b.checkIn >= (dates[2] as string))
        .map((b) => b.id)
        .reverse(),
    );
  });

  it("when the filters are hostile, then 400 names the field, and a cursor of one list is refused by the other", async () => {
    const hotelPage = (await list("limit=1")).json() as Page;
    const guestPage = (await list("limit=1", asGuest(guests[0] as string))).json() as Page;

    expectFields(await list("checkInFrom=2027-05-10&checkInTo=2027-05-09"), ["querystring.checkInTo"]);
    expectFields(await list("checkInFrom=2027-13-45"), ["querystring.checkInFrom"]);
    expectFields(await list("roomId=not-a-room"), ["querystring.roomId"]);
    expectFields(await list("status=LOST"), ["querystring.status"]);
    expectFields(await list(`cursor=${guestPage.nextCursor}`), ["querystring.cursor"]);
    expectFields(await list(`cursor=${hotelPage.nextCursor}`, asGuest(guests[0] as string)), ["querystring.cursor"]);
  });

  it("when 200 000 bookings are stored, then every narrowing of the list reads by an index, never the whole table", async () => {
    await queryRows(
      system.databases.reservation,
      `INSERT INTO "reservations" ("id", "guest_id", "room_id", "guest_name", "check_in", "check_out", "status", "deadline_at", "updated_at")
       SELECT gen_random_uuid(), 'stored-' || (i % 5000), ('00000000-0000-4000-8000-' || lpad((i % 40)::text, 12, '0'))::uuid,
              'Stored guest', DATE '2028-01-01' + (i % 600), DATE '2028-01-01' + (i % 600) + 2,
              (ARRAY['SUCCESS', 'CANCEL', 'FAILURE'])[1 + i % 3]::"ReservationStatus", now(), now()
       FROM generate_series(1, 200000) AS i`,
    );
    await queryRows(system.databases.reservation, `ANALYZE "reservations"`);
    const plan = async (query: ReturnType<typeof hotelBookings>) => {
      const [row] = await queryRows<{ "QUERY PLAN": unknown }>(
        system.databases.reservation,
        `EXPLAIN (FORMAT JSON) ${query.text}`,
        query.values,
      );
      return JSON.stringify(row?.["QUERY PLAN"]);
    };
    const room = "00000000-0000-4000-8000-000000000007";
    const cursor = { checkIn: "2028-06-01", id: randomUUID() };

    const plans = {
      everything: await plan(hotelBookings({}, undefined, 21)),
      nextPage: await plan(hotelBookings({}, cursor, 21)),
      dates: await plan(hotelBookings({ checkInFrom: "2028-03-01", checkInTo: "2028-03-07" }, undefined, 21)),
      datesAndStatus: await plan(
        hotelBookings({ checkInFrom: "2028-03-01", checkInTo: "2028-03-31", status: "CANCEL" }, undefined, 21),
      ),
      roomAndDates: await plan(hotelBookings({ roomId: room, checkInFrom: "2028-03-01" }, undefined, 21)),
      room: await plan(hotelBookings({ roomId: room }, undefined, 21)),
    };

    for (const [name, text] of Object.entries(plans)) {
      expect(text, name).not.toContain('"Seq Scan"');
      expect(text, name).toContain('"Index Name":"reservations_check_in_id_idx"');
    }
  });
});
