import { randomUUID } from "node:crypto";
import { formatDate, TOPIC, type TopicKey } from "@saga/contracts";
import type { Booking } from "@saga/reservation";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asyncApiChecks } from "../harness/contracts.js";
import {
  type AppSystem,
  aStay,
  asGuest,
  asStaff,
  availability,
  book,
  checkInvariant,
  createRoom,
  creditDeposit,
  invariantHolds,
  liveCheck,
  prepaid,
  queryNumber,
  recordTopic,
  sampleValue,
  scrape,
  startApp,
  startSystem,
  waitFor,
  waitForStatus,
} from "../harness/index.js";

const DAY_MS = 86_400_000;
const atHotel = (amount: number) => ({ nightlyRate: { amount, currency: "EUR" }, payment: "AT_HOTEL" as const });
/** The stay `days` later than `stay`, as long. */
const shifted = (stay: { checkIn: string; checkOut: string }, days: number, longer = 0) => ({
  checkIn: formatDate(new Date(Date.parse(stay.checkIn) + days * DAY_MS)),
  checkOut: formatDate(new Date(Date.parse(stay.checkOut) + (days + longer) * DAY_MS)),
});

/** Helpers over one system's reservation and room services. */
function api(system: () => AppSystem) {
  const reservation = () => system().reservation;
  return {
    patch: (id: string, guest: string, payload: object) =>
      reservation().inject({ method: "PATCH", url: `/reservations/${id}`, payload, headers: asGuest(guest) }),
    quote: (id: string, guest: string, stay: { checkIn: string; checkOut: string }) =>
      reservation().inject({
        method: "GET",
        url: `/reservations/${id}/change-quote?checkIn=${stay.checkIn}&checkOut=${stay.checkOut}`,
        headers: asGuest(guest),
      }),
    cancel: (id: string, guest: string) =>
      reservation().inject({ method: "POST", url: `/reservations/${id}/cancel`, headers: asGuest(guest) }),
    history: async (id: string, guest: string) =>
      (
        await reservation().inject({ method: "GET", url: `/reservations/${id}/history`, headers: asGuest(guest) })
      ).json() as { entries: { status: string; reason: string | null; cause: string }[] },
    /** Units left each night from the earliest to the latest date of the stays given. */
    free: async (roomId: string, from: string, to: string) =>
      (await availability(system().room, roomId, from, to)).map((n) => n.available),
    /** A confirmed booking of `lines` (or one unit of `roomId`) for `stay`, by `guest`. */
    confirmed: async (guest: string, stay: { checkIn: string; checkOut: string }, rooms: object) => {
      const booking = await book(reservation(), { guestName: "Ada Lovelace", ...stay, ...rooms }, asGuest(guest));
      const done = await waitForStatus(reservation(), booking.id, ["SUCCESS", "FAILURE"]);
      expect(done.status).toBe("SUCCESS");
      return done;
    },
  };
}

const settledChange = (reservation: FastifyInstance, id: string) =>
  waitForStatus(reservation, id, ["SUCCESS", "FAILURE", "CANCEL"]) as Promise<Booking>;

describe("changing a booking's dates", () => {
  let system: AppSystem;
  const rooms: string[] = [];
  beforeAll(async () => {
    system = await startSystem({ label: "dates", env: { RATE_LIMIT_BOOKINGS_PER_MINUTE: "1000" } });
  });
  afterAll(() => system?.close());
  const { patch, quote, cancel, history, free, confirmed } = api(() => system);
  const room = async (units: number, rate = 10_000) => {
    const created = await createRoom(system.room, { units, ...atHotel(rate) });
    rooms.push(created.id);
    return created.id;
  };
  const holds = async () => checkInvariant(system.databases, rooms);

  it("when a guest quotes and then moves a booking one night later and one night longer, then the quote holds nothing and the booking ends at the new dates with their price", async () => {
    const roomId = await room(1);
    const guest = `guest-${randomUUID()}`;
    const old = aStay(2);
    const next = shifted(old, 1, 1); // one night later, one night longer: shares one night with the old stay
    const window = { from: old.checkIn, to: next.checkOut };
    const booking = await confirmed(guest, old, { roomId });
    expect(await free(roomId, window.from, window.to)).toEqual([0, 0, 1, 1]);

    const quoted = await quote(booking.id, guest, next);
    expect(quoted.statusCode).toBe(200);
    // The shared night is the booking's own: free to it, though the room has no unit left that night.
    expect(quoted.json()).toEqual({
      reservationId: booking.id,
      ...next,
      available: true,
      newTotal: { amount: 30_000, currency: "EUR" },
      difference: { amount: 10_000, currency: "EUR" },
      penalty: { amount: 0, currency: "EUR" },
    });
    expect(await free(roomId, window.from, window.to)).toEqual([0, 0, 1, 1]);

    const completed = async () =>
      sampleValue(await scrape(system.reservation), "saga_bookings_total", { status: "SUCCESS", reason: "" });
    const before = await completed();
    const asked = await patch(booking.id, guest, next);
    expect(asked.statusCode).toBe(202);
    expect(asked.json()).toMatchObject({ status: "CHANGE_PENDING", ...old, pendingChange: next, lastChange: null });

    const done = await settledChange(system.reservation, booking.id);
    expect(done).toMatchObject({
      status: "SUCCESS",
      ...next,
      total: { amount: 30_000, currency: "EUR" },
      pendingChange: null,
      lastChange: { status: "CHANGED", reason: null, from: old, to: next },
    });
    expect(await free(roomId, window.from, window.to)).toEqual([1, 0, 0, 0]);
    // The booking was completed once, when it was confirmed: a change is not a second booking.
    expect(await completed()).toBe(before);
    expect(done.completedAt).toEqual(booking.completedAt);
    const steps = (await history(booking.id, guest)).entries.map((e) => [e.status, e.cause]);
    expect(steps).toEqual([
      ["PENDING", "http"],
      ["SUCCESS", "transaction-result"],
      ["CHANGE_PENDING", "http"],
      ["SUCCESS", "transaction-result"],
    ]);
    expect((await history(booking.id, guest)).entries.at(-1)?.reason).toMatch(/^dates changed/);
    expect(invariantHolds(await holds(), true)).toBe(true);

    // The nights it holds now are the ones a cancel gives back.
    expect((await cancel(booking.id, guest)).statusCode).toBe(202);
    await waitForStatus(system.reservation, booking.id, ["CANCEL"]);
    expect(await free(roomId, window.from, window.to)).toEqual([1, 1, 1, 1]);
    expect(invariantHolds(await holds(), true)).toBe(true);
  });

  it("when the new nights are taken, then the quote says so and the change ends with the old dates and nights untouched", async () => {
    const roomId = await room(1);
    const guest = `guest-${randomUUID()}`;
    const old = aStay(2);
    const next = shifted(old, 2);
    const booking = await confirmed(guest, old, { roomId });
    await confirmed(
      `guest-${randomUUID()}`,
      { checkIn: next.checkIn, checkOut: shifted(next, 0, -1).checkOut },
      { roomId },
    );
    const before = await free(roomId, old.checkIn, next.checkOut);

    expect((await quote(booking.id, guest, next)).json()).toMatchObject({ available: false });
    expect((await patch(booking.id, guest, next)).statusCode).toBe(202);
    const done = await settledChange(system.reservation, booking.id);
    expect(done).toMatchObject({
      status: "SUCCESS",
      ...old,
      total: { amount: 20_000, currency: "EUR" },
      lastChange: { status: "REFUSED", reason: "NO_AVAILABILITY", from: old, to: next },
    });
    expect(await free(roomId, old.checkIn, next.checkOut)).toEqual(before);
    expect((await history(booking.id, guest)).entries.at(-1)?.reason).toBe(
      `dates kept: ${old.checkIn}..${old.checkOut} (NO_AVAILABILITY)`,
    );
    expect(invariantHolds(await holds(), true)).toBe(true);
  });

  it("when a booking of two rooms moves, then every unit of both rooms moves with it", async () => {
    const [a, b] = [await room(3, 10_000), await room(2, 7_000)];
    const guest = `guest-${randomUUID()}`;
    const old = aStay(2);
    const next = shifted(old, 5);
    const lines = [
      { roomId: a, quantity: 2 },
      { roomId: b, quantity: 1 },
    ];
    const booking = await confirmed(guest, old, { rooms: lines });
    expect((await quote(booking.id, guest, next)).json()).toMatchObject({
      available: true,
      newTotal: { amount: 2 * (2 * 10_000 + 7_000), currency: "EUR" },
    });
    expect((await patch(booking.id, guest, next)).statusCode).toBe(202);
    expect(await settledChange(system.reservation, booking.id)).toMatchObject({
      status: "SUCCESS",
      ...next,
      rooms: lines,
    });
    expect(await free(a, old.checkIn, old.checkOut)).toEqual([3, 3]);
    expect(await free(b, old.checkIn, old.checkOut)).toEqual([2, 2]);
    expect(await free(a, next.checkIn, next.checkOut)).toEqual([1, 1]);
    expect(await free(b, next.checkIn, next.checkOut)).toEqual([1, 1]);
    expect(invariantHolds(await holds(), true)).toBe(true);
  });

  it("when a change races the guest's cancel, then one of them goes ahead and the other answers 409, and the booking ends CANCEL with every night of both stays back", async () => {
    const roomId = await room(4);
    const old = aStay(2);
    const next = shifted(old, 1, 1);
    const guests = Array.from({ length: 4 }, () => `guest-${randomUUID()}`);
    const bookings = await Promise.all(guests.map((guest) => confirmed(guest, old, { roomId })));
    const raced = await Promise.all(
      bookings.map((b, i) => Promise.all([patch(b.id, guests[i] as string, next), cancel(b.id, guests[i] as string)])),
    );
    for (const [changed, cancelled] of raced) {
      expect([changed.statusCode, cancelled.statusCode].sort()).toEqual([202, 409]);
      const loser = changed.statusCode === 409 ? changed : cancelled;
      expect(["NOT_CHANGEABLE", "NOT_CANCELLABLE"]).toContain(loser.json().code);
    }
    // Where the change won, the guest cancels once it has ended, at whichever dates it ended.
    for (const [i, b] of bookings.entries()) {
      const settled = await waitForStatus(system.reservation, b.id, ["SUCCESS", "CANCEL"]);
      if (settled.status === "SUCCESS") expect((await cancel(b.id, guests[i] as string)).statusCode).toBe(202);
      expect(await waitForStatus(system.reservation, b.id, ["CANCEL"])).toMatchObject({ status: "CANCEL" });
    }
    expect(await free(roomId, old.checkIn, next.checkOut)).toEqual([4, 4, 4, 4]);
    expect(invariantHolds(await holds(), true)).toBe(true);
  });

  it("when two changes of one booking race, then one goes ahead and the other answers 409 CHANGE_PENDING", async () => {
    const roomId = await room(2);
    const guest = `guest-${randomUUID()}`;
    const old = aStay(2);
    const [a, b] = [shifted(old, 3), shifted(old, 6)];
    const booking = await confirmed(guest, old, { roomId });
    const answers = await Promise.all([patch(booking.id, guest, a), patch(booking.id, guest, b)]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([202, 409]);
    const loser = answers.find((r) => r.statusCode === 409);
    expect(loser?.json()).toMatchObject({ code: "CHANGE_PENDING" });
    const won = answers[0]?.statusCode === 202 ? a : b;
    expect(await settledChange(system.reservation, booking.id)).toMatchObject({ status: "SUCCESS", ...won });
    expect(invariantHolds(await holds(), true)).toBe(true);
  });

  it("when a changed booking and its hold disagree on the dates, then the invariant and the live reconciler name it OTHER_DATES", async () => {
    const roomId = await room(1);
    const guest = `guest-${randomUUID()}`;
    const old = aStay(2);
    const next = shifted(old, 6);
    const booking = await confirmed(guest, old, { roomId });
    expect((await patch(booking.id, guest, next)).statusCode).toBe(202);
    await settledChange(system.reservation, booking.id);
    expect((await holds()).holdMismatches).toEqual([]);
    // The change as if its answer had been lost: the booking back at its old dates, the hold at the new.
    await queryNumber(
      system.databases.reservation,
      `UPDATE "reservations" SET "check_in" = $2::date, "check_out" = $3::date WHERE "id" = $1 RETURNING 1 AS "n"`,
      [booking.id, old.checkIn, old.checkOut],
    );
    const expected = [
      { reservationId: booking.id, status: "SUCCESS", hold: `OTHER_DATES ${next.checkIn}/${next.checkOut}` },
    ];
    expect((await holds()).holdMismatches).toEqual(expected);
    expect((await liveCheck(system.databases, [booking.id])).holdMismatches).toEqual(expected);
    await queryNumber(
      system.databases.reservation,
      `UPDATE "reservations" SET "check_in" = $2::date, "check_out" = $3::date WHERE "id" = $1 RETURNING 1 AS "n"`,
      [booking.id, next.checkIn, next.checkOut],
    );
  });

  it("when a change names a price the stay no longer has, then the dates stay (PRICE_CHANGED)", async () => {
    const roomId = await room(2);
    const guest = `guest-${randomUUID()}`;
    const old = aStay(2);
    const next = shifted(old, 3);
    const booking = await confirmed(guest, old, { roomId });
    expect(
      (await patch(booking.id, guest, { ...next, expectedTotal: { amount: 19_999, currency: "EUR" } })).statusCode,
    ).toBe(202);
    expect(await settledChange(system.reservation, booking.id)).toMatchObject({
      ...old,
      lastChange: { status: "REFUSED", reason: "PRICE_CHANGED" },
    });
  });

  it("when a change is asked for wrongly, then it is refused by name and nothing changes", async () => {
    const roomId = await room(2);
    const guest = `guest-${randomUUID()}`;
    const old = aStay(2);
    const booking = await confirmed(guest, old, { roomId });
    const yesterday = formatDate(new Date(Date.now() - 2 * DAY_MS));
    const cases: [object, number, string][] = [
      [{ checkIn: yesterday, checkOut: old.checkOut }, 400, "body.checkIn"],
      [{ checkIn: old.checkOut, checkOut: old.checkIn }, 400, "body.checkOut"],
      [{ ...shifted(old, 1), roomId }, 400, "body.roomId"],
      [{ checkIn: old.checkIn, checkOut: shifted(old, 0, 40).checkOut }, 400, "body.checkOut"],
      [{ checkIn: "2027-02-30", checkOut: old.checkOut }, 400, "body.checkIn"],
      [old, 400, "body.checkIn"],
    ];
    for (const [payload, status, field] of cases) {
      const res = await patch(booking.id, guest, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(res.json().fields.map((d: { field: string }) => d.field)).toContain(field);
    }
    // Another guest's booking is not there for them.
    expect((await patch(booking.id, `guest-${randomUUID()}`, shifted(old, 1))).statusCode).toBe(404);
    expect((await quote(booking.id, `guest-${randomUUID()}`, shifted(old, 1))).statusCode).toBe(404);
    expect(await waitForStatus(system.reservation, booking.id, ["SUCCESS"])).toMatchObject({
      ...old,
      lastChange: null,
    });
    expect((await history(booking.id, guest)).entries).toHaveLength(2);
  });

  it("when the stay has begun, then its dates cannot change", async () => {
    const roomId = await room(1);
    const guest = `guest-${randomUUID()}`;
    const today = formatDate(new Date());
    const stay = { checkIn: today, checkOut: formatDate(new Date(Date.now() + 2 * DAY_MS)) };
    const booking = await confirmed(guest, stay, { roomId });
    const res = await patch(booking.id, guest, shifted(stay, 3));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: "STAY_BEGUN" });
    expect((await quote(booking.id, guest, shifted(stay, 3))).statusCode).toBe(400);
  });
});

describe("a date change the room service does not answer in time", () => {
  let system: AppSystem;
  let room: FastifyInstance | undefined;
  const rooms: string[] = [];
  beforeAll(async () => {
    system = await startSystem({
      label: "dates-late",
      env: { SAGA_DEADLINE_MS: "2000", SAGA_SWEEP_MS: "200", RATE_LIMIT_BOOKINGS_PER_MINUTE: "1000" },
    });
  });
  afterAll(async () => {
    await room?.close();
    await system?.close();
  });
  const { patch, cancel, history, confirmed } = api(() => system);

  it("when the room service is away past the deadline, then a second change and a cancel are refused 409, and once it is back the change is sent back and the booking keeps its dates", async () => {
    const created = await createRoom(system.room, { units: 1, ...atHotel(10_000) });
    rooms.push(created.id);
    const guest = `guest-${randomUUID()}`;
    const old = aStay(2);
    const next = shifted(old, 1);
    const booking = await confirmed(guest, old, { roomId: created.id });

    // The room service stops: the change waits in its topic.
    await system.room.close();
    expect((await patch(booking.id, guest, next)).statusCode).toBe(202);
    const second = await patch(booking.id, guest, shifted(old, 4));
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ code: "CHANGE_PENDING" });
    const cancelled = await cancel(booking.id, guest);
    expect(cancelled.statusCode).toBe(409);
    expect(cancelled.json()).toMatchObject({ code: "NOT_CANCELLABLE" });

    // Past its deadline the change is sent back; the booking waits for the answer to that.
    await waitFor(
      () => history(booking.id, guest),
      (h) => h.entries.some((e) => e.cause === "deadline"),
      { what: "the change sent back at its deadline" },
    );
    expect(await waitForStatus(system.reservation, booking.id, ["CHANGE_PENDING"])).toMatchObject({
      reason: "TIMEOUT",
      ...old,
    });

    // Back: it applies the change, then the sending back, in order; only the second's answer settles the booking.
    room = await startApp("room", { ...system.env });
    const done = await waitForStatus(system.reservation, booking.id, ["SUCCESS"]);
    expect(done).toMatchObject({ ...old, lastChange: { status: "REFUSED", reason: "TIMEOUT", from: old, to: next } });
    const left = await availability(room, created.id, old.checkIn, next.checkOut);
    expect(left.map((n) => n.available)).toEqual([0, 0, 1]);
    const holdHistory = await room.inject({
      method: "GET",
      url: `/holds/${booking.id}/history`,
      headers: asStaff(),
    });
    expect(holdHistory.json().entries.map((e: { event: string }) => e.event)).toEqual(["TAKEN", "CHANGED", "CHANGED"]);
    expect(invariantHolds(await checkInvariant(system.databases, rooms), true)).toBe(true);
    expect((await history(booking.id, guest)).entries.map((e) => [e.status, e.cause])).toEqual([
      ["PENDING", "http"],
      ["SUCCESS", "transaction-result"],
      ["CHANGE_PENDING", "http"],
      ["CHANGE_PENDING", "deadline"],
      ["SUCCESS", "transaction-result"],
    ]);
  });
});

describe("a prepaid date change whose difference is not charged in time", () => {
  let system: AppSystem;
  let payment: FastifyInstance | undefined;
  beforeAll(async () => {
    system = await startSystem({
      label: "dates-unpaid",
      env: { SAGA_DEADLINE_MS: "2000", SAGA_SWEEP_MS: "200", RATE_LIMIT_BOOKINGS_PER_MINUTE: "1000" },
    });
  });
  afterAll(async () => {
    await payment?.close();
    await system?.close();
  });
  const { patch, history, free, confirmed } = api(() => system);

  it("when the payment service is away past the deadline, then the charge is brought back to what it was once it returns, and the booking keeps its dates", async () => {
    const created = await createRoom(system.room, { units: 1, ...prepaid(10_000) });
    const guest = `guest-${randomUUID()}`;
    await creditDeposit(system.payment, guest, 100_000);
    const old = aStay(2);
    const next = shifted(old, 0, 1);
    const booking = await confirmed(guest, old, { roomId: created.id });

    await system.payment.close();
    expect((await patch(booking.id, guest, next)).statusCode).toBe(202);
    await waitFor(
      () => history(booking.id, guest),
      (h) => h.entries.some((e) => e.cause === "deadline"),
      { what: "the charge given up at its deadline" },
    );
    // Back: it charges the difference, then gives it back; only the second answer settles the booking.
    payment = await startApp("payment", { ...system.env });
    expect(await waitForStatus(system.reservation, booking.id, ["SUCCESS"])).toMatchObject({
      ...old,
      total: { amount: 20_000, currency: "EUR" },
      lastChange: { status: "REFUSED", reason: "TIMEOUT" },
    });
    const paid = (
      await payment.inject({ method: "GET", url: `/payments/${booking.id}`, headers: asStaff() })
    ).json() as { charged: number; refunded: number };
    expect(paid).toMatchObject({ charged: 30_000, refunded: 10_000 });
    expect(await free(created.id, old.checkIn, next.checkOut)).toEqual([0, 0, 1]);
    const report = await checkInvariant(system.databases, [created.id]);
    expect(report.moneyMismatches).toEqual([]);
    expect(invariantHolds(report, true)).toBe(true);
  });
});

describe("changing the dates of a prepaid booking", () => {
  let system: AppSystem;
  const rooms: string[] = [];
  beforeAll(async () => {
    system = await startSystem({ label: "dates-paid", env: { RATE_LIMIT_BOOKINGS_PER_MINUTE: "1000" } });
  });
  afterAll(() => system?.close());
  const { patch, quote, cancel, history, free, confirmed } = api(() => system);
  /** A prepaid room at 100.00 EUR a night, free to cancel until 48 h before, then the first night kept. */
  const room = async (units: number) => {
    const created = await createRoom(system.room, { units, ...prepaid(10_000) });
    rooms.push(created.id);
    return created.id;
  };
  const funded = async (amount: number) => {
    const guest = `guest-${randomUUID()}`;
    await creditDeposit(system.payment, guest, amount);
    return guest;
  };
  const payment = async (id: string) =>
    (await system.payment.inject({ method: "GET", url: `/payments/${id}`, headers: asStaff() })).json() as {
      charged: number;
      refunded: number;
      entries: { kind: string; amount: number; reason: string }[];
    };
  const balance = async (guest: string) =>
    (
      (await system.payment.inject({ method: "GET", url: "/accounts/me", headers: asGuest(guest) })).json() as {
        balances: { amount: number }[];
      }
    ).balances[0]?.amount;
  const moneyHolds = async () => {
    const report = await checkInvariant(system.databases, rooms);
    expect(report.moneyMismatches).toEqual([]);
    expect(report.holdMismatches).toEqual([]);
    expect(invariantHolds(report, true)).toBe(true);
  };

  it("when a prepaid stay grows by a night, then the difference is charged before the nights move", async () => {
    const roomId = await room(2);
    const guest = await funded(100_000);
    const old = aStay(2);
    const next = shifted(old, 0, 1);
    const booking = await confirmed(guest, old, { roomId });
    expect((await quote(booking.id, guest, next)).json()).toMatchObject({
      available: true,
      newTotal: { amount: 30_000, currency: "EUR" },
      difference: { amount: 10_000, currency: "EUR" },
      penalty: { amount: 0, currency: "EUR" },
    });
    expect((await patch(booking.id, guest, next)).statusCode).toBe(202);
    expect(await settledChange(system.reservation, booking.id)).toMatchObject({
      status: "SUCCESS",
      ...next,
      total: { amount: 30_000, currency: "EUR" },
      lastChange: { status: "CHANGED", reason: null },
    });
    expect(await payment(booking.id)).toMatchObject({ charged: 30_000, refunded: 0 });
    expect((await payment(booking.id)).entries.map((e) => [e.kind, e.amount, e.reason])).toEqual([
      ["CHARGE", 20_000, "booking charged"],
      ["CHARGE", 10_000, "DATE_CHANGED"],
    ]);
    expect(await balance(guest)).toBe(70_000);
    expect(await free(roomId, old.checkIn, next.checkOut)).toEqual([1, 1, 1]);
    expect((await history(booking.id, guest)).entries.map((e) => [e.status, e.cause])).toEqual([
      ["PENDING", "http"],
      ["AWAITING_PAYMENT", "transaction-result"],
      ["SUCCESS", "payment-result"],
      ["CHANGE_PENDING", "http"],
      ["CHANGE_PENDING", "payment-result"],
      ["SUCCESS", "transaction-result"],
    ]);
    await moneyHolds();
  });

  it("when a prepaid change names a total that is not today's, then it is refused 409 at once and no money moves", async () => {
    const roomId = await room(2);
    const guest = await funded(100_000);
    const old = aStay(2);
    const booking = await confirmed(guest, old, { roomId });
    for (const expectedTotal of [
      { amount: 40_000, currency: "EUR" },
      { amount: 30_000, currency: "USD" },
    ]) {
      const res = await patch(booking.id, guest, { ...shifted(old, 0, 1), expectedTotal });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: "PRICE_CHANGED", fields: [{ field: "body.expectedTotal" }] });
    }
    expect(await waitForStatus(system.reservation, booking.id, ["SUCCESS"])).toMatchObject({
      ...old,
      lastChange: null,
    });
    expect((await payment(booking.id)).entries.map((e) => e.kind)).toEqual(["CHARGE"]);
    expect(await balance(guest)).toBe(80_000);
  });

  it("when the deposit cannot pay the difference, then nothing moves and the booking keeps its dates (PAYMENT_DECLINED)", async () => {
    const roomId = await room(2);
    const guest = await funded(20_000);
    const old = aStay(2);
    const next = shifted(old, 0, 1);
    const booking = await confirmed(guest, old, { roomId });
    expect((await patch(booking.id, guest, next)).statusCode).toBe(202);
    expect(await settledChange(system.reservation, booking.id)).toMatchObject({
      status: "SUCCESS",
      ...old,
      total: { amount: 20_000, currency: "EUR" },
      lastChange: { status: "REFUSED", reason: "PAYMENT_DECLINED" },
    });
    expect(await payment(booking.id)).toMatchObject({ charged: 20_000, refunded: 0 });
    expect(await free(roomId, old.checkIn, next.checkOut)).toEqual([1, 1, 2]);
    await moneyHolds();
  });

  it("when the difference was charged but the new night is taken, then it is given back and the booking keeps its dates", async () => {
    const roomId = await room(1);
    const guest = await funded(100_000);
    const old = aStay(2);
    const next = shifted(old, 0, 1);
    const booking = await confirmed(guest, old, { roomId });
    const other = await funded(100_000);
    await confirmed(other, { checkIn: old.checkOut, checkOut: next.checkOut }, { roomId });
    expect((await patch(booking.id, guest, next)).statusCode).toBe(202);
    expect(await settledChange(system.reservation, booking.id)).toMatchObject({
      ...old,
      lastChange: { status: "REFUSED", reason: "NO_AVAILABILITY" },
    });
    expect((await payment(booking.id)).entries.map((e) => [e.kind, e.amount])).toEqual([
      ["CHARGE", 20_000],
      ["CHARGE", 10_000],
      ["REFUND", 10_000],
    ]);
    expect(await balance(guest)).toBe(80_000);
    await moneyHolds();
  });

  it("when a prepaid stay shrinks long before it begins, then the difference is given back in full", async () => {
    const roomId = await room(2);
    const guest = await funded(100_000);
    const old = aStay(3);
    const next = shifted(old, 0, -1);
    const booking = await confirmed(guest, old, { roomId });
    expect((await quote(booking.id, guest, next)).json()).toMatchObject({
      difference: { amount: -10_000, currency: "EUR" },
      penalty: { amount: 0, currency: "EUR" },
    });
    expect((await patch(booking.id, guest, next)).statusCode).toBe(202);
    expect(await settledChange(system.reservation, booking.id)).toMatchObject({
      ...next,
      total: { amount: 20_000, currency: "EUR" },
      lastChange: { status: "CHANGED" },
    });
    expect(await payment(booking.id)).toMatchObject({ charged: 30_000, refunded: 10_000 });
    expect(await balance(guest)).toBe(80_000);
    await moneyHolds();
  });

  it("when a prepaid stay inside its penalty window moves months away, then the penalty is charged with the change and a later cancel still keeps it", async () => {
    const roomId = await room(2);
    const guest = await funded(100_000);
    const tomorrow = formatDate(new Date(Date.now() + DAY_MS));
    const old = { checkIn: tomorrow, checkOut: formatDate(new Date(Date.now() + 3 * DAY_MS)) };
    const far = aStay(2);
    const booking = await confirmed(guest, old, { roomId });
    // The same price months away; a cancel now would keep the first night: the change keeps it too.
    expect((await quote(booking.id, guest, far)).json()).toMatchObject({
      difference: { amount: 0, currency: "EUR" },
      penalty: { amount: 10_000, currency: "EUR" },
    });
    expect((await patch(booking.id, guest, far)).statusCode).toBe(202);
    expect(await settledChange(system.reservation, booking.id)).toMatchObject({
      ...far,
      total: { amount: 20_000, currency: "EUR" },
      lastChange: { status: "CHANGED" },
    });
    expect(await payment(booking.id)).toMatchObject({ charged: 30_000, refunded: 0 });
    await moneyHolds();

    // Cancelled long before the new stay: free under the policy, but the change's penalty stays kept.
    expect((await cancel(booking.id, guest)).statusCode).toBe(202);
    expect(await waitForStatus(system.reservation, booking.id, ["CANCEL"])).toMatchObject({
      kept: { amount: 10_000, currency: "EUR" },
    });
    expect(await balance(guest)).toBe(90_000);
    await moneyHolds();
  });

  it("when prepaid changes go through and fail, then every message they send is one the AsyncAPI document describes, and nothing is dead-lettered", async () => {
    const checks = asyncApiChecks();
    const topics: TopicKey[] = ["roomChange", "transactionResult", "paymentRequest", "paymentResult", "deadLetter"];
    const readers = await Promise.all(topics.map((t) => recordTopic(system.topics[t])));
    try {
      const roomId = await room(1);
      const guest = await funded(100_000);
      const old = aStay(2);
      const booking = await confirmed(guest, old, { roomId });
      const other = await funded(100_000);
      await confirmed(other, { checkIn: old.checkOut, checkOut: shifted(old, 0, 1).checkOut }, { roomId });
      // Refused (the night is taken): charged, then given back. Then one that goes through, cheaper.
      expect((await patch(booking.id, guest, shifted(old, 0, 1))).statusCode).toBe(202);
      expect(await settledChange(system.reservation, booking.id)).toMatchObject({ lastChange: { status: "REFUSED" } });
      expect((await patch(booking.id, guest, shifted(old, 0, -1))).statusCode).toBe(202);
      expect(await settledChange(system.reservation, booking.id)).toMatchObject({ lastChange: { status: "CHANGED" } });

      const [changes, results, requests, paid, deadLetters] = readers;
      await waitFor(
        async () => paid?.json<{ reservationId: string }>().filter((m) => m.reservationId === booking.id).length ?? 0,
        (n) => n >= 4,
        { what: "the booking's charge and three adjustments answered" },
      );
      const shapes = new Set<string>();
      for (const [i, topic] of topics.entries()) {
        for (const record of readers[i]?.received ?? []) {
          const payload = JSON.parse(record.value ?? "null");
          if (topic !== "deadLetter" && payload.reservationId !== booking.id) continue;
          const where = `${TOPIC[topic]} @${record.partition}/${record.offset}`;
          expect(checks[topic].payload(payload), where).toBeUndefined();
          expect(checks[topic].headers(record.headers), where).toBeUndefined();
          shapes.add(`${payload.type}${payload.status ? ` ${payload.status}` : ""} v${payload.version}`);
        }
      }
      expect([...shapes].sort()).toEqual([
        "PAYMENT_ADJUST v2",
        "PAYMENT_CHARGE v1",
        "PAYMENT_RESULT ADJUSTED v2",
        "PAYMENT_RESULT CHARGED v1",
        "ROOM_CHANGE v1",
        "TRANSACTION_RESULT CHANGED v4",
        "TRANSACTION_RESULT CHANGE_REFUSED v4",
        "TRANSACTION_RESULT SUCCESS v2",
      ]);
      expect([changes, results, requests].every((r) => (r?.received.length ?? 0) > 0)).toBe(true);
      await deadLetters?.caughtUp();
      expect(deadLetters?.received).toEqual([]);
    } finally {
      await Promise.all(readers.map((r) => r.stop()));
    }
  });

  it("when a prepaid stay shrinks inside its penalty window, then the penalty is kept, and kept again by a later cancel", async () => {
    const roomId = await room(2);
    const guest = await funded(100_000);
    const tomorrow = formatDate(new Date(Date.now() + DAY_MS));
    const old = { checkIn: tomorrow, checkOut: formatDate(new Date(Date.now() + 4 * DAY_MS)) };
    const next = { checkIn: tomorrow, checkOut: formatDate(new Date(Date.now() + 2 * DAY_MS)) };
    const booking = await confirmed(guest, old, { roomId });
    // 300.00 down to 100.00; a cancel now would keep the first night, so the change keeps it too.
    expect((await quote(booking.id, guest, next)).json()).toMatchObject({
      newTotal: { amount: 10_000, currency: "EUR" },
      difference: { amount: -20_000, currency: "EUR" },
      penalty: { amount: 10_000, currency: "EUR" },
    });
    expect((await patch(booking.id, guest, next)).statusCode).toBe(202);
    expect(await settledChange(system.reservation, booking.id)).toMatchObject({
      ...next,
      total: { amount: 10_000, currency: "EUR" },
    });
    expect(await payment(booking.id)).toMatchObject({ charged: 30_000, refunded: 10_000 });
    await moneyHolds();

    // Cancelled now: the new stay's first night, and the change's penalty, are kept.
    expect((await cancel(booking.id, guest)).statusCode).toBe(202);
    expect(await waitForStatus(system.reservation, booking.id, ["CANCEL"])).toMatchObject({
      kept: { amount: 20_000, currency: "EUR" },
    });
    expect(await payment(booking.id)).toMatchObject({ charged: 30_000, refunded: 10_000 });
    expect(await balance(guest)).toBe(80_000);
    await moneyHolds();
  });
});
