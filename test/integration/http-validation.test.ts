import { randomUUID } from "node:crypto";
import { BODY_LIMIT_BYTES } from "@saga/platform/http";
import { sql } from "@saga/platform/sql";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppSystem,
  aBooking,
  aStay,
  asGuest,
  asStaff,
  book,
  createRoom,
  prepaid,
  startSystem,
  waitFor,
} from "../harness/index.js";

interface BadRequest {
  when: string;
  request: InjectOptions;
  code: string;
  fields: string[];
}

/** The shared error shape, nothing more, with exactly these fields named (in any order). */
function expectError(res: LightMyRequestResponse, statusCode: number, code: string, fields: string[]) {
  expect(res.statusCode, res.body).toBe(statusCode);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  const body = res.json();
  expect(body).toEqual({ statusCode, code, message: expect.stringMatching(/\S/), fields: expect.any(Array) });
  expect(body.fields.map((f: { field: string }) => f.field).sort()).toEqual([...fields].sort());
  for (const field of body.fields) expect(field.message).toMatch(/\S/);
}

// Every request is a valid guest's (a staff member's for rooms): validation is what is tested here.
const as = (url: string) => (url.startsWith("/rooms") ? asStaff() : asGuest("validation-guest"));
const post = (url: string, payload: unknown, headers: Record<string, string> = {}): InjectOptions => ({
  method: "POST",
  url,
  payload: payload as object,
  headers: { ...as(url), ...headers },
});
/** A body sent exactly as written, with the given content type. */
const raw = (url: string, payload: string, contentType: string): InjectOptions => ({
  method: "POST",
  url,
  payload,
  headers: { "content-type": contentType, ...as(url) },
});
const get = (url: string): InjectOptions => ({ method: "GET", url, headers: as(url) });
/** A two-night stay that began three days ago (UTC): in the past in every time zone. */
function pastStay() {
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  return { checkIn: day(-3), checkOut: day(-1) };
}
const without = <T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> => {
  const { [key]: _, ...rest } = value;
  return rest;
};

/** Bodies that go wrong before validation: the whole body is at fault. */
function unparseableBodies(url: string, valid: object): BadRequest[] {
  const json = JSON.stringify(valid);
  const invalid = (when: string, request: InjectOptions) => ({ when, request, code: "INVALID_BODY", fields: ["body"] });
  return [
    invalid("the body is not JSON", raw(url, json.slice(0, 12), "application/json")),
    invalid("the body is JSON sent as text/plain", raw(url, json, "text/plain")),
    invalid("the body is form-encoded", raw(url, "name=Sea+view&units=1", "application/x-www-form-urlencoded")),
    invalid("the body is empty", raw(url, "", "application/json")),
    invalid(
      "the body is valid but padded past the size limit",
      raw(url, json + " ".repeat(BODY_LIMIT_BYTES), "application/json"),
    ),
    {
      when: "there is no body at all",
      request: { method: "POST", url, headers: as(url) },
      code: "VALIDATION_FAILED",
      fields: ["body"],
    },
  ];
}

describe("HTTP input validation", () => {
  let system: AppSystem;
  beforeAll(async () => {
    // Every bad booking is one of the same guest's: it counts against the guest's rate limit too.
    system = await startSystem({ env: { RATE_LIMIT_BOOKINGS_PER_MINUTE: "10000" } });
  });
  afterAll(() => system?.close());

  describe("reservation service", () => {
    // Every bad booking carries these, so whatever it might have stored can be found again.
    const marker = { roomId: randomUUID(), guestName: `Bad Input ${randomUUID()}` };
    const valid = { ...marker, checkIn: "2031-03-10", checkOut: "2031-03-12" };
    const invalid = (when: string, request: InjectOptions, fields: string[]): BadRequest => ({
      when,
      request,
      code: "VALIDATION_FAILED",
      fields,
    });
    const booking = (body: unknown, headers?: Record<string, string>) => post("/reservations", body, headers);

    const badBookings: BadRequest[] = [
      invalid("the body is an empty object", booking({}), [
        "body.roomId",
        "body.guestName",
        "body.checkIn",
        "body.checkOut",
      ]),
      invalid("checkOut is missing", booking(without(valid, "checkOut")), ["body.checkOut"]),
      invalid("the body has fields the API does not know", booking({ ...valid, price: 120, vip: true }), [
        "body.price",
        "body.vip",
      ]),
      invalid("fields have the wrong types", booking({ ...valid, roomId: 42, guestName: ["Ada"], checkIn: 20310310 }), [
        "body.roomId",
        "body.guestName",
        "body.checkIn",
      ]),
      invalid("roomId is not a UUID", booking({ ...valid, roomId: "room-42" }), ["body.roomId"]),
      invalid("the guest name is blank", booking({ ...valid, guestName: "   " }), ["body.guestName"]),
      invalid("the guest name is too long", booking({ ...valid, guestName: "x".repeat(201) }), ["body.guestName"]),
      invalid("the dates are not YYYY-MM-DD", booking({ ...valid, checkIn: "10/03/2031", checkOut: "2031-3-12" }), [
        "body.checkIn",
        "body.checkOut",
      ]),
      invalid("checkIn is a day that does not exist (2025-02-30)", booking({ ...valid, checkIn: "2025-02-30" }), [
        "body.checkIn",
      ]),
      invalid("checkOut is in a month that does not exist", booking({ ...valid, checkOut: "2031-13-01" }), [
        "body.checkOut",
      ]),
      invalid("checkOut is before checkIn", booking({ ...valid, checkIn: "2031-03-12", checkOut: "2031-03-10" }), [
        "body.checkOut",
      ]),
      invalid("the stay has zero nights", booking({ ...valid, checkIn: "2031-03-10", checkOut: "2031-03-10" }), [
        "body.checkOut",
      ]),
      invalid("the stay lasts 31 nights", booking({ ...valid, checkIn: "2031-03-01", checkOut: "2031-04-01" }), [
        "body.checkOut",
      ]),
      invalid(
        "several fields are wrong at once, the stay among them",
        booking({ roomId: "x", guestName: "", checkIn: "2031-03-12", checkOut: "2031-03-10", note: "late" }),
        ["body.roomId", "body.guestName", "body.checkOut", "body.note"],
      ),
      invalid("the guest name holds a NUL character", booking({ ...valid, guestName: "Ada\u0000Lovelace" }), [
        "body.guestName",
      ]),
      invalid("the guest name holds a lone UTF-16 surrogate", booking({ ...valid, guestName: "Ada \ud800" }), [
        "body.guestName",
      ]),
      invalid("checkIn is in the year 0000, which PostgreSQL has not", booking({ ...valid, checkIn: "0000-03-10" }), [
        "body.checkIn",
      ]),
      invalid("the stay starts in the past", booking({ ...valid, ...pastStay() }), ["body.checkIn"]),
      invalid("the body is a JSON array", booking([valid]), ["body"]),
      invalid("the body is JSON null", raw("/reservations", "null", "application/json"), ["body"]),
      invalid(
        "the Idempotency-Key header is empty and the body is wrong too",
        booking({ ...valid, checkIn: "2031-02-29" }, { "idempotency-key": "" }),
        ["body.checkIn", "headers.idempotency-key"],
      ),
      ...unparseableBodies("/reservations", valid),
      invalid("the id in the path is not a UUID", get("/reservations/not-a-uuid"), ["params.id"]),
      invalid("the id to cancel is not a UUID", post("/reservations/123/cancel", undefined), ["params.id"]),
      {
        when: "the id in the path is far too long to be a UUID",
        request: get(`/reservations/${"a".repeat(300)}`),
        code: "INVALID_URL",
        fields: ["url"],
      },
      {
        when: "the path has a broken percent-encoding",
        request: get("/reservations/%E0%A4%A"),
        code: "INVALID_URL",
        fields: ["url"],
      },
    ];

    for (const { when, request, code, fields } of badBookings) {
      it(`when ${when}, then 400 ${code} names ${fields.join(", ")}`, async () => {
        const res = await system.reservation.inject(request);

        expectError(res, 400, code, fields);
      });
    }

    it("when every kind of bad booking is refused, then nothing is stored and nothing is sent", async () => {
      const db = system.reservation.reservationDb;
      const topic = system.reservation.reservationConfig.topics.roomReserve;
      await waitFor(
        () => db.outboxMessage.count({ where: { topic } }),
        (waiting) => waiting === 0,
        { what: "earlier room-reserve messages to be published" },
      );
      const sentBefore = await messagesOn(system.reservation, topic);

      for (const { request } of badBookings) expect((await system.reservation.inject(request)).statusCode).toBe(400);
      // The relay publishes in commit order: once this booking's message is out, any earlier one would be too.
      await book(system.reservation, aBooking({ ...marker, ...aStay(2) }));
      const sent = await waitFor(
        () => messagesOn(system.reservation, topic),
        (count) => count > sentBefore,
        { what: "the valid booking's room-reserve message" },
      );

      expect(sent).toBe(sentBefore + 1);
      const stored = await db.reservation.findMany({
        where: { OR: [{ roomId: marker.roomId }, { guestName: marker.guestName }] },
      });
      expect(stored.map((r) => r.guestName)).toEqual([marker.guestName]);
    });

    it("when the reservation does not exist, then reading and cancelling it answer 404 NOT_FOUND", async () => {
      const id = randomUUID();

      const read = await system.reservation.inject(get(`/reservations/${id}`));
      const cancel = await system.reservation.inject(post(`/reservations/${id}/cancel`, undefined));

      expectError(read, 404, "NOT_FOUND", []);
      expectError(cancel, 404, "NOT_FOUND", []);
    });

    it("when a booking is valid, then it is accepted as PENDING, a 30-night stay included", async () => {
      const body = aBooking({ ...aStay(30) });

      const res = await system.reservation.inject(booking(body, { "idempotency-key": `key-${body.roomId}` }));

      expect(res.statusCode, res.body).toBe(202);
      expect(res.json()).toMatchObject({ ...body, id: expect.any(String), status: "PENDING", reason: null });
    });
  });

  describe("room service", () => {
    const name = `Bad Input ${randomUUID()}`;
    const valid = { name, units: 2 };
    const invalid = (when: string, request: InjectOptions, fields: string[]): BadRequest => ({
      when,
      request,
      code: "VALIDATION_FAILED",
      fields,
    });
    const newRoom = (body: unknown) => post("/rooms", body);
    const badRooms: BadRequest[] = [
      invalid("the body is an empty object", newRoom({}), ["body.name", "body.units"]),
      invalid("units is zero", newRoom({ ...valid, units: 0 }), ["body.units"]),
      invalid("units is negative", newRoom({ ...valid, units: -3 }), ["body.units"]),
      invalid("units is a fraction", newRoom({ ...valid, units: 1.5 }), ["body.units"]),
      invalid("units is a string", newRoom({ ...valid, units: "2" }), ["body.units"]),
      invalid("the name is blank and units is missing", newRoom({ name: "  " }), ["body.name", "body.units"]),
      invalid("the body has a field the API does not know", newRoom({ ...valid, floor: 3 }), ["body.floor"]),
      invalid("units is beyond a 32-bit integer", newRoom({ ...valid, units: 2 ** 31 }), ["body.units"]),
      invalid("the name holds a NUL character", newRoom({ ...valid, name: "Sea\u0000view" }), ["body.name"]),
      invalid("the name holds a lone UTF-16 surrogate", newRoom({ ...valid, name: "Sea view \udfff" }), ["body.name"]),
      ...unparseableBodies("/rooms", valid),
    ];

    // The room exists, so only validation can stand between these queries and a 200.
    let roomId: string;
    beforeAll(async () => {
      roomId = (await createRoom(system.room)).id;
    });
    const availability = (id: string, query: string) => get(`/rooms/${id}/availability?${query}`);
    const badQueries: { when: string; id?: string; query: string; fields: string[] }[] = [
      {
        when: "the room id is not a UUID",
        id: "room-1",
        query: "from=2031-03-10&to=2031-03-12",
        fields: ["params.id"],
      },
      {
        when: "the room id is not a UUID and the range is backwards",
        id: "room-1",
        query: "from=2031-03-12&to=2031-03-10",
        fields: ["params.id", "querystring.to"],
      },
      { when: "the query string is missing", query: "", fields: ["querystring.from", "querystring.to"] },
      { when: "from is not YYYY-MM-DD", query: "from=2031-3-1&to=2031-03-12", fields: ["querystring.from"] },
      { when: "to is a day that does not exist", query: "from=2031-02-20&to=2031-02-29", fields: ["querystring.to"] },
      { when: "to is before from", query: "from=2031-03-12&to=2031-03-10", fields: ["querystring.to"] },
      { when: "the range is empty", query: "from=2031-03-10&to=2031-03-10", fields: ["querystring.to"] },
      {
        when: "the range is in the year 0000, which PostgreSQL has not",
        query: "from=0000-03-10&to=0000-03-12",
        fields: ["querystring.from", "querystring.to"],
      },
      { when: "the range is 367 nights", query: "from=2031-01-01&to=2032-01-03", fields: ["querystring.to"] },
      {
        when: "the query has a parameter the API does not know",
        query: "from=2031-03-10&to=2031-03-12&page=2",
        fields: ["querystring.page"],
      },
      { when: "to is given twice", query: "from=2031-03-10&to=2031-03-12&to=2031-03-13", fields: ["querystring.to"] },
    ];

    for (const { when, request, code, fields } of badRooms) {
      it(`when ${when}, then 400 ${code} names ${fields.join(", ")}`, async () => {
        const res = await system.room.inject(request);

        expectError(res, 400, code, fields);
      });
    }

    for (const { when, id, query, fields } of badQueries) {
      it(`when ${when}, then availability answers 400 VALIDATION_FAILED naming ${fields.join(", ")}`, async () => {
        const res = await system.room.inject(availability(id ?? roomId, query));

        expectError(res, 400, "VALIDATION_FAILED", fields);
      });
    }

    it("when every kind of bad room is refused, then no room is stored", async () => {
      const count = () => system.room.roomDb.room.count({ where: { name: { contains: name } } });

      for (const { request } of badRooms) expect((await system.room.inject(request)).statusCode).toBe(400);
      const afterBad = await count();
      const created = await system.room.inject(newRoom(valid));

      expect(afterBad).toBe(0);
      expect(created.statusCode).toBe(201);
      expect(await count()).toBe(1);
    });

    it("when the room does not exist, then availability answers 404 NOT_FOUND", async () => {
      const res = await system.room.inject(availability(randomUUID(), "from=2031-03-10&to=2031-03-12"));

      expectError(res, 404, "NOT_FOUND", []);
    });

    it("when the room and range are valid, then availability answers 200 for up to 366 nights", async () => {
      const res = await system.room.inject(availability(roomId, "from=2031-01-01&to=2032-01-02"));

      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().nights).toHaveLength(366);
    });
  });

  describe("money at every boundary", () => {
    /** Each bad amount, as JSON would carry it, and each bad currency. */
    const badAmounts: [string, unknown][] = [
      ["negative", -100],
      ["zero", 0],
      ["fractional", 12.5],
      ["huge (beyond 10^9 minor units)", 1_000_000_001],
      ["beyond a safe JavaScript integer", 2 ** 53 + 2],
      ["a numeric string", "100"],
      ["not a number at all", "a lot"],
      ["null", null],
    ];
    const badCurrencies: [string, unknown][] = [
      ["lower case", "eur"],
      ["four letters", "EURO"],
      ["two letters", "EU"],
      ["a digit among letters", "E1R"],
      ["three capitals that name no currency", "ABC"],
      ["a number", 978],
    ];
    const target = `money-guest-${randomUUID()}`;
    const marker = `Money Input ${randomUUID()}`;
    let room: { id: string };
    let stay: { checkIn: string; checkOut: string };
    beforeAll(async () => {
      room = await createRoom(system.room, { ...prepaid(10_000), units: 1 });
      stay = aStay(2);
    });

    /** Each money boundary: the request with `money` in place, the field it names, the service that answers. */
    const boundaries = [
      {
        what: "a credit",
        service: "payment" as const,
        field: "body",
        request: (money: object) =>
          ({ method: "POST", url: `/accounts/${target}/credits`, payload: money, headers: asStaff() }) as InjectOptions,
      },
      {
        what: "a booking's expectedTotal",
        service: "reservation" as const,
        field: "body.expectedTotal",
        request: (money: object) =>
          post("/reservations", { ...aBooking({ roomId: room.id, ...stay }), guestName: marker, expectedTotal: money }),
      },
      {
        what: "a room's nightlyRate",
        service: "room" as const,
        field: "body.nightlyRate",
        request: (money: object) => post("/rooms", { name: marker, units: 1, nightlyRate: money, payment: "PREPAID" }),
      },
    ];
    const cases = boundaries.flatMap((b) => [
      ...badAmounts.map(([when, amount]) => ({
        ...b,
        when: `the amount of ${b.what} is ${when}`,
        request: () => b.request({ amount, currency: "EUR" }),
        named: `${b.field}.amount`,
      })),
      ...badCurrencies.map(([when, currency]) => ({
        ...b,
        when: `the currency of ${b.what} is ${when}`,
        request: () => b.request({ amount: 10_000, currency }),
        named: `${b.field}.currency`,
      })),
    ]);
    const rates = (amount: unknown): InjectOptions => ({
      method: "PUT",
      url: `/rooms/${room.id}/rates`,
      headers: asStaff(),
      payload: { from: stay.checkIn, to: stay.checkOut, amount },
    });
    const hugeAsWritten = (url: string, body: string): InjectOptions => ({
      method: "POST",
      url,
      payload: body,
      headers: { "content-type": "application/json", ...asStaff() },
    });

    for (const { when, service, request, named } of cases) {
      it(`when ${when}, then 400 names ${named}`, async () => {
        expectError(await system[service].inject(request()), 400, "VALIDATION_FAILED", [named]);
      });
    }

    for (const [when, amount] of badAmounts) {
      it(`when a night's rate is ${when}, then 400 names body.amount`, async () => {
        expectError(await system.room.inject(rates(amount)), 400, "VALIDATION_FAILED", ["body.amount"]);
      });
    }

    it("when an amount is written as 1e400 (Infinity once parsed), then 400 names it", async () => {
      const res = await system.payment.inject(
        hugeAsWritten(`/accounts/${target}/credits`, '{"amount":1e400,"currency":"EUR"}'),
      );

      expectError(res, 400, "VALIDATION_FAILED", ["body.amount"]);
    });

    it("when a guest credits an account, their own included, then 403 and no money moves", async () => {
      for (const guestId of [target, "validation-guest"]) {
        const res = await system.payment.inject({
          method: "POST",
          url: `/accounts/${guestId}/credits`,
          payload: { amount: 10_000, currency: "EUR" },
          headers: asGuest(guestId),
        });
        expectError(res, 403, "FORBIDDEN", []);
      }
    });

    it("when every bad amount and currency is refused, then nothing is stored and no money moves", async () => {
      const ledger = () =>
        system.payment.paymentSql.rows<{ n: number }>(sql`SELECT count(*)::int AS "n" FROM "entries"`);
      const quote = async () =>
        (
          await system.room.inject({
            method: "GET",
            url: `/rooms/${room.id}/quote?checkIn=${stay.checkIn}&checkOut=${stay.checkOut}`,
          })
        ).json();
      const [entriesBefore, quoteBefore] = [await ledger(), await quote()];

      for (const { service, request } of cases) expect((await system[service].inject(request())).statusCode).toBe(400);
      for (const [, amount] of badAmounts) expect((await system.room.inject(rates(amount))).statusCode).toBe(400);

      expect(await ledger()).toEqual(entriesBefore);
      const account = await system.payment.inject({ method: "GET", url: "/accounts/me", headers: asGuest(target) });
      expect(account.json()).toMatchObject({ guestId: target, balances: [], entries: [] });
      expect(await quote()).toEqual(quoteBefore);
      const rooms = await system.room.roomDb.room.count({ where: { name: marker } });
      const bookings = await system.reservation.reservationDb.reservation.count({ where: { guestName: marker } });
      expect({ rooms, bookings }).toEqual({ rooms: 0, bookings: 0 });
    });
  });

  it.each([
    ["reservation", "GET", "/no-such-route"],
    ["reservation", "DELETE", `/reservations/${randomUUID()}`],
    ["room", "GET", "/rooms"],
    ["room", "PUT", `/rooms/${randomUUID()}`],
  ] as const)(
    "when the %s service gets %s %s, an unknown route, then 404 NOT_FOUND in the error shape",
    async (service, method, url) => {
      const res = await system[service].inject({ method, url });

      expectError(res, 404, "NOT_FOUND", []);
    },
  );
});

/** How many messages the topic holds: the sum of its partitions' end offsets. */
async function messagesOn(app: FastifyInstance, topic: string): Promise<number> {
  const offsets = await app.kafka.admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, partition) => sum + Number(partition.offset), 0);
}
