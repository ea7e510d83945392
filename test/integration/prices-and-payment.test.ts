import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppSystem,
  aBooking,
  aStay,
  asGuest,
  asStaff,
  availability,
  book,
  checkInvariant,
  createRoom,
  creditDeposit,
  FINAL,
  prepaid,
  queryNumber,
  startSystem,
  waitForStatus,
} from "../harness/index.js";

const dayAfter = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

describe("prices, and prepaid bookings paid from a guest's deposit", () => {
  let system: AppSystem;
  const rooms: string[] = [];
  beforeAll(async () => {
    system = await startSystem({
      env: { RATE_LIMIT_BOOKINGS_PER_MINUTE: "1000", MAX_ACTIVE_BOOKINGS_PER_GUEST: "100" },
    });
  });
  afterAll(() => system?.close());

  const aGuest = () => `guest-${randomUUID()}`;
  const room = async (plan: Parameters<typeof createRoom>[1] = {}) => {
    const created = await createRoom(system.room, { units: 2, ...plan });
    rooms.push(created.id);
    return created;
  };
  const finalOf = async (id: string) => waitForStatus(system.reservation, id, FINAL);
  const quote = async (roomId: string, stay: { checkIn: string; checkOut: string }) => {
    const res = await system.room.inject({
      method: "GET",
      url: `/rooms/${roomId}/quote?checkIn=${stay.checkIn}&checkOut=${stay.checkOut}`,
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const balances = async (guestId: string) => {
    const res = await system.payment.inject({ method: "GET", url: "/accounts/me", headers: asGuest(guestId) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().balances as { amount: number; currency: string }[];
  };
  const paymentOf = async (reservationId: string, headers = asStaff()) =>
    system.payment.inject({ method: "GET", url: `/payments/${reservationId}`, headers });
  const historyOf = async (id: string) =>
    (await system.reservation.inject({ method: "GET", url: `/reservations/${id}/history`, headers: asStaff() }))
      .json()
      .entries.map((e: { status: string }) => e.status);

  it("when a room has a rate plan and one night a rate of its own, then a quote prices each night, totals them and says how the room is paid", async () => {
    const suite = await room(prepaid(10_000));
    const stay = aStay(3);
    const middle = { checkIn: dayAfter(stay.checkIn), checkOut: dayAfter(dayAfter(stay.checkIn)) };
    const set = await system.room.inject({
      method: "PUT",
      url: `/rooms/${suite.id}/rates`,
      headers: asStaff(),
      payload: { from: middle.checkIn, to: middle.checkOut, amount: 15_000 },
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({ nights: 1, rate: { amount: 15_000, currency: "EUR" } });

    expect(await quote(suite.id, stay)).toEqual({
      roomId: suite.id,
      checkIn: stay.checkIn,
      checkOut: stay.checkOut,
      total: { amount: 35_000, currency: "EUR" },
      nights: [
        { date: stay.checkIn, amount: 10_000 },
        { date: middle.checkIn, amount: 15_000 },
        { date: middle.checkOut, amount: 10_000 },
      ],
      payment: "PREPAID",
      cancellation: { freeUntilHours: 48, penaltyNights: 1 },
      available: true,
    });
  });

  it("when a stay is booked at the quoted total, then it succeeds at that total; when the price changed since, it fails PRICE_CHANGED and takes nothing", async () => {
    const atHotel = await room({ nightlyRate: { amount: 8_000, currency: "EUR" } });
    const stay = aStay(2);
    const quoted = await quote(atHotel.id, stay);
    expect(quoted).toMatchObject({ total: { amount: 16_000, currency: "EUR" }, payment: "AT_HOTEL" });

    const asQuoted = await book(
      system.reservation,
      aBooking({ roomId: atHotel.id, ...stay, expectedTotal: quoted.total }),
    );
    expect(await finalOf(asQuoted.id)).toMatchObject({
      status: "SUCCESS",
      total: { amount: 16_000, currency: "EUR" },
      payment: "AT_HOTEL",
    });

    const later = aStay(2);
    const stale = { amount: 15_999, currency: "EUR" };
    const changed = await book(system.reservation, aBooking({ roomId: atHotel.id, ...later, expectedTotal: stale }));
    expect(await finalOf(changed.id)).toMatchObject({ status: "FAILURE", reason: "PRICE_CHANGED", total: null });
    expect(await availability(system.room, atHotel.id, later.checkIn, later.checkOut)).toEqual([
      { date: later.checkIn, available: 2 },
      { date: expect.any(String), available: 2 },
    ]);
    // The same in another currency is another price.
    const inDollars = await book(
      system.reservation,
      aBooking({ roomId: atHotel.id, ...aStay(2), expectedTotal: { amount: 16_000, currency: "USD" } }),
    );
    expect(await finalOf(inDollars.id)).toMatchObject({ status: "FAILURE", reason: "PRICE_CHANGED" });
  });

  it("when a room without a rate plan is booked, then nothing is priced or charged, as before prices existed", async () => {
    const plain = await room();
    const booked = await book(system.reservation, aBooking({ roomId: plain.id }));
    expect(await finalOf(booked.id)).toMatchObject({ status: "SUCCESS", total: null, payment: null });
    expect((await paymentOf(booked.id)).statusCode).toBe(404);
  });

  it("when a guest whose deposit covers a prepaid stay books it, then the deposit is charged the total and the booking succeeds", async () => {
    const suite = await room(prepaid(12_000));
    const guest = aGuest();
    await creditDeposit(system.payment, guest, 50_000);
    const booked = await book(system.reservation, aBooking({ roomId: suite.id, ...aStay(2) }), asGuest(guest));

    expect(await finalOf(booked.id)).toMatchObject({
      status: "SUCCESS",
      total: { amount: 24_000, currency: "EUR" },
      payment: "PREPAID",
    });
    expect(await historyOf(booked.id)).toEqual(["PENDING", "AWAITING_PAYMENT", "SUCCESS"]);
    expect(await balances(guest)).toEqual([{ amount: 26_000, currency: "EUR" }]);
    const payment = await paymentOf(booked.id, asGuest(guest));
    expect(payment.json()).toMatchObject({ reservationId: booked.id, currency: "EUR", charged: 24_000, refunded: 0 });
    // Another guest learns nothing of it.
    expect((await paymentOf(booked.id, asGuest(aGuest()))).statusCode).toBe(404);
  });

  it.each([
    ["no deposit at all", async (_guest: string) => {}],
    ["a deposit too small", (guest: string) => creditDeposit(system.payment, guest, 23_999)],
    ["a deposit in another currency only", (guest: string) => creditDeposit(system.payment, guest, 90_000, "USD")],
  ])(
    "when a guest with %s books a prepaid stay, then it fails PAYMENT_DECLINED, its nights given back first, and no money moves",
    async (_, fund) => {
      const suite = await room(prepaid(12_000));
      const guest = aGuest();
      await fund(guest);
      const before = await balances(guest);
      const stay = aStay(2);
      const booked = await book(system.reservation, aBooking({ roomId: suite.id, ...stay }), asGuest(guest));

      expect(await finalOf(booked.id)).toMatchObject({ status: "FAILURE", reason: "PAYMENT_DECLINED" });
      expect(await historyOf(booked.id)).toEqual(["PENDING", "AWAITING_PAYMENT", "RELEASE_PENDING", "FAILURE"]);
      expect(await availability(system.room, suite.id, stay.checkIn, stay.checkOut)).toEqual([
        { date: stay.checkIn, available: 2 },
        { date: expect.any(String), available: 2 },
      ]);
      expect(await balances(guest)).toEqual(before);
    },
  );

  it("when a prepaid booking is cancelled long before its stay, then all of it is refunded; when cancelled late, the first night is kept", async () => {
    const suite = await room(prepaid(10_000));
    const guest = aGuest();
    await creditDeposit(system.payment, guest, 100_000);
    const early = await book(system.reservation, aBooking({ roomId: suite.id, ...aStay(3) }), asGuest(guest));
    // Tomorrow: within the 48 hours before the stay, so the first night is kept.
    const late = await book(system.reservation, aBooking({ roomId: suite.id, ...aStay(3, 1) }), asGuest(guest));
    for (const { id } of [early, late]) expect(await finalOf(id)).toMatchObject({ status: "SUCCESS" });
    expect(await balances(guest)).toEqual([{ amount: 40_000, currency: "EUR" }]);

    for (const { id } of [early, late]) {
      const res = await system.reservation.inject({
        method: "POST",
        url: `/reservations/${id}/cancel`,
        headers: asGuest(guest),
      });
      expect(res.json()).toMatchObject({ status: "CANCEL_PENDING" });
    }

    expect(await finalOf(early.id)).toMatchObject({
      status: "CANCEL",
      refunded: { amount: 30_000, currency: "EUR" },
      kept: { amount: 0, currency: "EUR" },
    });
    expect(await finalOf(late.id)).toMatchObject({
      status: "CANCEL",
      refunded: { amount: 20_000, currency: "EUR" },
      kept: { amount: 10_000, currency: "EUR" },
    });
    expect(await balances(guest)).toEqual([{ amount: 90_000, currency: "EUR" }]);
    expect((await paymentOf(late.id)).json()).toMatchObject({ charged: 30_000, refunded: 20_000 });
  });

  it("when 20 prepaid bookings of one guest race for a deposit that covers exactly 3, then 3 are charged and succeed, 17 fail PAYMENT_DECLINED with their nights back, and the balance is exact", async () => {
    const suites = await Promise.all(
      Array.from({ length: 4 }, () => createRoom(system.room, { units: 5, ...prepaid(7_000) })),
    );
    rooms.push(...suites.map((s) => s.id));
    const guest = aGuest();
    await creditDeposit(system.payment, guest, 3 * 14_000);
    const bookings = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        book(system.reservation, aBooking({ roomId: suites[i % 4]?.id, ...aStay(2, 600 + i) }), asGuest(guest)),
      ),
    );
    const finals = await Promise.all(bookings.map((b) => finalOf(b.id)));

    const byOutcome = finals.reduce<Record<string, number>>((n, b) => {
      const key = `${b.status} ${b.reason ?? ""}`.trim();
      n[key] = (n[key] ?? 0) + 1;
      return n;
    }, {});
    expect(byOutcome).toEqual({ SUCCESS: 3, "FAILURE PAYMENT_DECLINED": 17 });
    expect(await balances(guest)).toEqual([{ amount: 0, currency: "EUR" }]);
    const held = await queryNumber(
      system.databases.room,
      `SELECT count(*)::int AS "n" FROM "holds" WHERE "status" = 'HELD' AND "reservation_id" = ANY($1::uuid[])`,
      [bookings.map((b) => b.id)],
    );
    expect(held).toBe(3);
  });

  it("when every booking above is final, then the invariant holds: nights, holds and money agree, and the ledger balances", async () => {
    const report = await checkInvariant(system.databases, rooms);
    expect(report).toMatchObject({
      nightMismatches: [],
      holdMismatches: [],
      overbooked: [],
      moneyMismatches: [],
      ledger: { total: 0, unbalancedMovements: [], depositMismatches: [], paymentMismatches: [] },
    });
    expect(Object.keys(report.byStatus).sort()).toEqual(["CANCEL", "FAILURE", "SUCCESS"]);
  });
});
