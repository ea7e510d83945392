import { randomUUID } from "node:crypto";
import type { RoomCancelMessage, RoomReserveMessage, TransactionResultMessage } from "@saga/contracts";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  FINAL,
  liveCheck,
  prepaid,
  queryNumber,
  recordTopic,
  startApp,
  startSystem,
  waitForStatus,
} from "../harness/index.js";
import { previousRelease } from "../harness/previous-release.js";

// A booking of several rooms, or several units of one, through the whole saga: every unit of every
// night or none, one charge of them all, every unit back on cancel.
describe("several rooms in one booking", () => {
  let system: AppSystem;
  const rooms: string[] = [];
  beforeAll(async () => {
    system = await startSystem({
      label: "multi",
      env: { RATE_LIMIT_BOOKINGS_PER_MINUTE: "1000", MAX_ACTIVE_BOOKINGS_PER_GUEST: "100" },
    });
  });
  afterAll(() => system?.close());

  const aGuest = () => `guest-${randomUUID()}`;
  const room = async (units: number, plan: Parameters<typeof createRoom>[1] = {}) => {
    const created = await createRoom(system.room, { units, ...plan });
    rooms.push(created.id);
    return created.id;
  };
  const free = async (roomId: string, stay: { checkIn: string; checkOut: string }) =>
    (await availability(system.room, roomId, stay.checkIn, stay.checkOut)).map((n) => n.available);
  const post = (payload: object, headers = asGuest()) =>
    system.reservation.inject({ method: "POST", url: "/reservations", payload, headers });
  const cancel = (id: string, guest: string) =>
    system.reservation.inject({ method: "POST", url: `/reservations/${id}/cancel`, headers: asGuest(guest) });
  /** How many bookings the guest has stored. */
  const bookingsOf = (guestId: string) =>
    queryNumber(system.databases.reservation, `SELECT count(*) AS "n" FROM "reservations" WHERE "guest_id" = $1`, [
      guestId,
    ]);
  const balance = async (guestId: string) => {
    const res = await system.payment.inject({ method: "GET", url: "/accounts/me", headers: asGuest(guestId) });
    return (res.json().balances as { amount: number }[])[0]?.amount;
  };

  it("when a guest books two units of one room and one of another, then every unit of every night is taken, charged once, and all of it comes back on cancel", async () => {
    const [a, b] = [await room(3, prepaid(10_000)), await room(2, prepaid(7_000))];
    const guest = aGuest();
    await creditDeposit(system.payment, guest, 100_000);
    const stay = aStay(2);
    const lines = [
      { roomId: a, quantity: 2 },
      { roomId: b, quantity: 1 },
    ];

    const booked = await book(
      system.reservation,
      { rooms: lines, guestName: "Ada Lovelace", ...stay, expectedTotal: { amount: 54_000, currency: "EUR" } },
      asGuest(guest),
    );

    expect(booked).toMatchObject({ roomId: a, rooms: lines, status: "PENDING" });
    expect(await waitForStatus(system.reservation, booked.id, FINAL)).toMatchObject({
      status: "SUCCESS",
      total: { amount: 54_000, currency: "EUR" },
      payment: "PREPAID",
      rooms: lines,
    });
    expect(await free(a, stay)).toEqual([1, 1]);
    expect(await free(b, stay)).toEqual([1, 1]);
    expect(await balance(guest)).toBe(46_000);
    const payment = await system.payment.inject({ method: "GET", url: `/payments/${booked.id}`, headers: asStaff() });
    expect(payment.json()).toMatchObject({ charged: 54_000, refunded: 0 });

    expect((await cancel(booked.id, guest)).json()).toMatchObject({ status: "CANCEL_PENDING" });

    expect(await waitForStatus(system.reservation, booked.id, FINAL)).toMatchObject({
      status: "CANCEL",
      refunded: { amount: 54_000, currency: "EUR" },
      kept: { amount: 0, currency: "EUR" },
    });
    expect(await free(a, stay)).toEqual([3, 3]);
    expect(await free(b, stay)).toEqual([2, 2]);
    expect(await balance(guest)).toBe(100_000);
    const history = await system.reservation.inject({
      method: "GET",
      url: `/reservations/${booked.id}/history`,
      headers: asGuest(guest),
    });
    expect(history.json()).toMatchObject({ rooms: lines });
    const holds = await system.room.inject({
      method: "GET",
      url: `/holds/${booked.id}/history`,
      headers: asStaff(),
    });
    expect(holds.json().rooms).toEqual(
      lines.map((l) => ({ ...l, status: "RELEASED", ...stay })).sort((x, y) => x.roomId.localeCompare(y.roomId)),
    );
    expect(holds.json().entries.map((e: { event: string }) => e.event)).toEqual(["TAKEN", "RELEASED"]);
    const report = await checkInvariant(system.databases, [a, b]);
    expect(report.nightMismatches).toEqual([]);
    expect(report.holdMismatches).toEqual([]);
    expect(report.moneyMismatches).toEqual([]);
  });

  it("when one room of a booking is full on one night, then it fails NO_AVAILABILITY, nothing is taken in the other and nothing is charged", async () => {
    const [a, b] = [await room(2, prepaid(5_000)), await room(1, prepaid(5_000))];
    const guest = aGuest();
    await creditDeposit(system.payment, guest, 100_000);
    const stay = aStay(3);
    const first = await book(system.reservation, { roomId: b, guestName: "Grace Hopper", ...stay }, asGuest(guest));
    expect(await waitForStatus(system.reservation, first.id, FINAL)).toMatchObject({ status: "SUCCESS" });

    const both = await book(
      system.reservation,
      {
        rooms: [
          { roomId: a, quantity: 2 },
          { roomId: b, quantity: 1 },
        ],
        guestName: "Grace Hopper",
        ...stay,
      },
      asGuest(guest),
    );

    expect(await waitForStatus(system.reservation, both.id, FINAL)).toMatchObject({
      status: "FAILURE",
      reason: "NO_AVAILABILITY",
    });
    expect(await free(a, stay)).toEqual([2, 2, 2]);
    expect(await balance(guest)).toBe(100_000 - 15_000);
  });

  it("when the rooms are paid differently, then the booking fails MIXED_TERMS and takes nothing", async () => {
    const [a, b] = [await room(2, prepaid(5_000)), await room(2)];
    const stay = aStay(2);

    const booked = await book(system.reservation, {
      rooms: [
        { roomId: a, quantity: 1 },
        { roomId: b, quantity: 1 },
      ],
      guestName: "Grace Hopper",
      ...stay,
    });

    expect(await waitForStatus(system.reservation, booked.id, FINAL)).toMatchObject({
      status: "FAILURE",
      reason: "MIXED_TERMS",
    });
    expect(await free(a, stay)).toEqual([2, 2]);
  });

  it("when one room's hold of a booking of several rooms is lost or released by hand, then the invariant names the booking PARTIAL", async () => {
    const [a, b] = [await room(2), await room(2)];
    const booked = await book(system.reservation, {
      rooms: [
        { roomId: a, quantity: 1 },
        { roomId: b, quantity: 2 },
      ],
      guestName: "Ada Lovelace",
      ...aStay(2),
    });
    expect(await waitForStatus(system.reservation, booked.id, FINAL)).toMatchObject({ status: "SUCCESS" });
    expect((await checkInvariant(system.databases, [a, b])).holdMismatches).toEqual([]);

    await queryNumber(
      system.databases.room,
      `UPDATE "holds" SET "status" = 'RELEASED' WHERE "reservation_id" = $1 AND "room_id" = $2 RETURNING 1 AS "n"`,
      [booked.id, b],
    );
    const released = await checkInvariant(system.databases, [a, b]);
    await queryNumber(
      system.databases.room,
      `DELETE FROM "holds" WHERE "reservation_id" = $1 AND "room_id" = $2 RETURNING 1 AS "n"`,
      [booked.id, b],
    );
    // Scoped to its second room only: the booking is in scope by either.
    const lost = await checkInvariant(system.databases, [b]);

    // The live reconciler decides by the same rule from the hold's rows: it sees the booking PARTIAL too.
    const live = await liveCheck(system.databases, [booked.id]);

    for (const report of [released, lost, live])
      expect(report.holdMismatches).toEqual([{ reservationId: booked.id, status: "SUCCESS", hold: "PARTIAL" }]);
    expect(lost.nightMismatches.map((n) => [n.roomId, n.taken, n.held])).toEqual([
      [b, 2, 0],
      [b, 2, 0],
    ]);
  });

  it.each([
    ["roomId and rooms both", (r: string) => ({ roomId: r, rooms: [{ roomId: r, quantity: 1 }] }), "body.rooms"],
    ["neither roomId nor rooms", () => ({}), "body.roomId"],
    ["no rooms", () => ({ rooms: [] }), "body.rooms"],
    [
      "11 rooms",
      () => ({ rooms: Array.from({ length: 11 }, () => ({ roomId: randomUUID(), quantity: 1 })) }),
      "body.rooms",
    ],
    [
      "one room twice",
      (r: string) => ({
        rooms: [
          { roomId: r, quantity: 1 },
          { roomId: r, quantity: 2 },
        ],
      }),
      "body.rooms.1.roomId",
    ],
    ["a quantity of 0", (r: string) => ({ rooms: [{ roomId: r, quantity: 0 }] }), "body.rooms.0.quantity"],
    ["a quantity of 11", (r: string) => ({ rooms: [{ roomId: r, quantity: 11 }] }), "body.rooms.0.quantity"],
    ["a fractional quantity", (r: string) => ({ rooms: [{ roomId: r, quantity: 1.5 }] }), "body.rooms.0.quantity"],
    ["a quantity as text", (r: string) => ({ rooms: [{ roomId: r, quantity: "2" }] }), "body.rooms.0.quantity"],
    ["a room that is no uuid", () => ({ rooms: [{ roomId: "suite-1", quantity: 1 }] }), "body.rooms.0.roomId"],
    ["a field of its own in a room", (r: string) => ({ rooms: [{ roomId: r, quantity: 1, x: 1 }] }), "body.rooms.0.x"],
    ["rooms that are no list", (r: string) => ({ rooms: { roomId: r, quantity: 1 } }), "body.rooms"],
  ])(
    "when a booking names %s, then it is refused 400 naming the field and nothing is stored",
    async (_, rooms, field) => {
      const roomId = await room(2);
      const guest = aGuest();

      const res = await post({ guestName: "Mallory", ...aStay(2), ...rooms(roomId) }, asGuest(guest));

      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().fields.map((d: { field: string }) => d.field)).toContain(field);
      expect(await bookingsOf(guest)).toBe(0);
    },
  );

  it("when a booking of several rooms is sent again with its Idempotency-Key and its rooms in another order, then the same booking answers", async () => {
    const [a, b] = [await room(2), await room(2)];
    const headers = { ...asGuest(aGuest()), "idempotency-key": randomUUID() };
    const stay = aStay(2);
    const body = (rooms: { roomId: string; quantity: number }[]) => ({
      rooms,
      guestName: "Ada Lovelace",
      ...stay,
    });

    const first = await book(
      system.reservation,
      body([
        { roomId: a, quantity: 1 },
        { roomId: b, quantity: 2 },
      ]),
      headers,
    );
    const again = await book(
      system.reservation,
      body([
        { roomId: b, quantity: 2 },
        { roomId: a, quantity: 1 },
      ]),
      headers,
    );

    expect(again.id).toBe(first.id);
  });

  it("when staff list the bookings of a room, then a booking of several rooms is found by each of them", async () => {
    const [a, b] = [await room(2), await room(2)];
    const booked = await book(system.reservation, {
      rooms: [
        { roomId: a, quantity: 1 },
        { roomId: b, quantity: 2 },
      ],
      guestName: "Ada Lovelace",
      ...aStay(2),
    });

    for (const roomId of [a, b]) {
      const res = await system.reservation.inject({
        method: "GET",
        url: `/reservations?roomId=${roomId}`,
        headers: asStaff(),
      });
      expect(res.json().items.map((i: { id: string }) => i.id)).toEqual([booked.id]);
    }
  });

  describe("during a rolling upgrade", () => {
    let upgrading: FastifyInstance;
    beforeAll(async () => {
      // An instance of the new build with multi-room messages still off, beside the system's.
      upgrading = await startApp("reservation", { ...system.env, MULTI_ROOM_MESSAGES: "false" });
    });
    afterAll(() => upgrading?.close());

    it("when multi-room messages are off, then a booking of several units is refused 400 and nothing is stored or sent", async () => {
      const roomId = await room(3);
      const guest = aGuest();

      const res = await upgrading.inject({
        method: "POST",
        url: "/reservations",
        payload: { rooms: [{ roomId, quantity: 2 }], guestName: "Ada Lovelace", ...aStay(2) },
        headers: asGuest(guest),
      });

      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ code: "MULTI_ROOM_DISABLED" });
      expect(await bookingsOf(guest)).toBe(0);
    });

    it("when a booking of several rooms made before the switch went off is sent again with its Idempotency-Key, then it answers that booking", async () => {
      const [a, b] = [await room(2), await room(2)];
      const headers = { ...asGuest(aGuest()), "idempotency-key": randomUUID() };
      const body = {
        rooms: [
          { roomId: a, quantity: 1 },
          { roomId: b, quantity: 1 },
        ],
        guestName: "Ada Lovelace",
        ...aStay(2),
      };
      const first = await book(system.reservation, body, headers);

      const again = await book(upgrading, body, headers);

      expect(again.id).toBe(first.id);
    });

    it("when a one-room booking is made and cancelled, then every message both services send is one the previous release reads", async () => {
      const roomId = await room(2, prepaid(8_000));
      const guest = aGuest();
      await creditDeposit(system.payment, guest, 50_000);
      const reserves = await recordTopic(system.topics.roomReserve);
      const cancels = await recordTopic(system.topics.roomCancel);
      const results = await recordTopic(system.topics.transactionResult);
      try {
        const bookings: string[] = [];
        for (const body of [
          { rooms: [{ roomId, quantity: 1 }] },
          { roomId, expectedTotal: { amount: 16_000, currency: "EUR" } },
        ]) {
          const res = await upgrading.inject({
            method: "POST",
            url: "/reservations",
            payload: { ...body, guestName: "Ada Lovelace", ...aStay(2) },
            headers: asGuest(guest),
          });
          expect(res.statusCode, res.body).toBe(202);
          bookings.push(res.json().id as string);
        }
        for (const id of bookings) {
          expect(await waitForStatus(upgrading, id, FINAL)).toMatchObject({ status: "SUCCESS" });
          const cancelled = await upgrading.inject({
            method: "POST",
            url: `/reservations/${id}/cancel`,
            headers: asGuest(guest),
          });
          expect(cancelled.statusCode).toBe(202);
          expect(await waitForStatus(upgrading, id, FINAL)).toMatchObject({ status: "CANCEL" });
        }

        const mine = <T extends { reservationId: string }>(all: T[]) =>
          all.filter((m) => bookings.includes(m.reservationId));
        await results.until((r) => mine(r.map((m) => JSON.parse(m.value ?? "{}"))).length >= 4);
        const sent = {
          roomReserve: mine(reserves.json<RoomReserveMessage>()),
          roomCancel: mine(cancels.json<RoomCancelMessage>()),
          transactionResult: mine(results.json<TransactionResultMessage>()),
        };
        expect(sent.roomReserve.map((m) => m.version)).toEqual([1, 2]);
        expect(sent.roomCancel.length).toBe(2);
        for (const [topic, messages] of Object.entries(sent) as [keyof typeof sent, unknown[]][])
          for (const message of messages) expect(previousRelease[topic].safeParse(message).error).toBeUndefined();
      } finally {
        await Promise.all([reserves.stop(), cancels.stop(), results.stop()]);
      }
    });

    it("when a booking of several rooms is sent, then the previous release refuses its messages: why the switch waits for every instance", async () => {
      const [a, b] = [await room(2), await room(2)];
      const reserves = await recordTopic(system.topics.roomReserve);
      try {
        const booked = await book(system.reservation, {
          rooms: [
            { roomId: a, quantity: 1 },
            { roomId: b, quantity: 1 },
          ],
          guestName: "Ada Lovelace",
          ...aStay(2),
        });
        await reserves.until((r) => r.some((m) => m.value?.includes(booked.id)));
        const message = reserves.json<RoomReserveMessage>().find((m) => m.reservationId === booked.id);

        expect(message?.version).toBe(3);
        expect(previousRelease.roomReserve.safeParse(message).success).toBe(false);
      } finally {
        await reserves.stop();
      }
    });
  });
});
