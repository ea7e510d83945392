import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { loadAuthConfig } from "@saga/platform/config";
import { createSigner } from "fast-jwt";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  type AppSystem,
  aBooking,
  asGuest,
  asStaff,
  bearer,
  book,
  startSystem,
  tokens,
  waitForStatus,
} from "../harness/index.js";

const settings = () => loadAuthConfig({ AUTH_JWT_SECRET: inject("infra").authSecret });
/** A token signed with the run's secret, with any claims and signing options changed. */
function signed(claims: Record<string, unknown>, options: Record<string, unknown> = {}): string {
  const { issuer, audience } = settings();
  return createSigner({ key: inject("infra").authSecret, algorithm: "HS256", iss: issuer, aud: audience, ...options })(
    claims,
  );
}
/** The token with its payload changed and its signature kept. */
function tampered(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split(".") as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  change(claims);
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
}
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

function expectError(res: LightMyRequestResponse, statusCode: number, code: string) {
  expect(res.statusCode, res.body).toBe(statusCode);
  expect(res.json()).toMatchObject({
    statusCode,
    code,
    message: expect.stringMatching(/\S/),
    fields: expect.any(Array),
  });
}

const posting = (app: FastifyInstance, headers: Record<string, string>, body: object = aBooking()) =>
  app.inject({ method: "POST", url: "/reservations", payload: body, headers });

describe("who may do what", () => {
  let system: AppSystem;
  beforeAll(async () => {
    system = await startSystem({
      env: {
        RATE_LIMIT_BOOKINGS_PER_MINUTE: "10000",
        RATE_LIMIT_ANONYMOUS_PER_MINUTE: "10000",
        MAX_ACTIVE_BOOKINGS_PER_GUEST: "1000",
      },
    });
  });
  afterAll(() => system?.close());

  const guestToken = () => tokens().guest(`guest-${randomUUID()}`);
  const refused: [string, () => Record<string, string>][] = [
    ["there is no token", () => ({})],
    ["the token is garbage", () => bearer("not-a-token")],
    ["the Authorization header is not Bearer", () => ({ authorization: `Basic ${base64url({ u: "ada" })}` })],
    [
      "the payload was changed and the signature kept",
      () => bearer(tampered(guestToken(), (c) => (c.sub = "someone-else"))),
    ],
    [
      "the token says alg none",
      () => bearer(`${base64url({ alg: "none", typ: "JWT" })}.${base64url({ ...settingsClaims(), sub: "ada" })}.`),
    ],
    [
      "the token has expired",
      () => bearer(signed({ sub: "ada" }, { expiresIn: 60_000, clockTimestamp: Date.now() - 3_600_000 })),
    ],
    [
      "the token is for another audience",
      () => bearer(signed({ sub: "ada" }, { expiresIn: 60_000, aud: "another-api" })),
    ],
    [
      "the token is from another issuer",
      () => bearer(signed({ sub: "ada" }, { expiresIn: 60_000, iss: "someone-else" })),
    ],
    ["the token has no expiry", () => bearer(signed({ sub: "ada" }))],
    ["the token's sub is not a guest id", () => bearer(signed({ sub: "ada lovelace" }, { expiresIn: 60_000 }))],
    [
      "the token is signed with another algorithm",
      () =>
        bearer(
          createSigner({ key: inject("infra").authSecret, algorithm: "HS512", ...issuedFor(), expiresIn: 60_000 })({
            sub: "ada",
          }),
        ),
    ],
  ];
  function settingsClaims() {
    const { issuer, audience } = settings();
    return { iss: issuer, aud: audience, exp: Math.floor(Date.now() / 1000) + 600 };
  }
  function issuedFor() {
    const { issuer, audience } = settings();
    return { iss: issuer, aud: audience };
  }

  for (const [when, headers] of refused) {
    it(`when ${when}, then booking answers 401 UNAUTHENTICATED with WWW-Authenticate: Bearer`, async () => {
      const res = await posting(system.reservation, headers());

      expectError(res, 401, "UNAUTHENTICATED");
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer realm="hotel-saga"/);
    });
  }

  it("when a guest's token gets a staff role added without re-signing, then creating a room answers 401", async () => {
    const forged = tampered(guestToken(), (c) => (c.roles = ["staff"]));

    const res = await system.room.inject({
      method: "POST",
      url: "/rooms",
      payload: { name: "Forged", units: 1 },
      headers: bearer(forged),
    });

    expectError(res, 401, "UNAUTHENTICATED");
  });

  it("when a guest creates a room, then 403 FORBIDDEN; staff may", async () => {
    const payload = { name: "Staff only", units: 1 };

    const asGuestRes = await system.room.inject({ method: "POST", url: "/rooms", payload, headers: asGuest() });
    const asStaffRes = await system.room.inject({ method: "POST", url: "/rooms", payload, headers: asStaff() });

    expectError(asGuestRes, 403, "FORBIDDEN");
    expect(asStaffRes.statusCode).toBe(201);
  });

  it("when availability is asked without a token, then it answers: it is public", async () => {
    const { id } = (
      await system.room.inject({
        method: "POST",
        url: "/rooms",
        payload: { name: "Public", units: 1 },
        headers: asStaff(),
      })
    ).json() as { id: string };

    const res = await system.room.inject({
      method: "GET",
      url: `/rooms/${id}/availability?from=2031-01-01&to=2031-01-02`,
    });

    expect(res.statusCode).toBe(200);
  });

  it("when guest B asks for guest A's booking, then reading and cancelling it answer 404 as for an unknown id, and staff can read it", async () => {
    const booking = await book(system.reservation, aBooking(), asGuest("guest-a"));
    const asB = asGuest("guest-b");

    const read = await system.reservation.inject({ method: "GET", url: `/reservations/${booking.id}`, headers: asB });
    const cancel = await system.reservation.inject({
      method: "POST",
      url: `/reservations/${booking.id}/cancel`,
      headers: asB,
    });
    const unknown = await system.reservation.inject({
      method: "GET",
      url: `/reservations/${randomUUID()}`,
      headers: asB,
    });

    expectError(read, 404, "NOT_FOUND");
    expectError(cancel, 404, "NOT_FOUND");
    expect(read.json().message).toBe(`reservation ${booking.id} not found`);
    expect(unknown.statusCode).toBe(404);
    const byStaff = await system.reservation.inject({
      method: "GET",
      url: `/reservations/${booking.id}`,
      headers: asStaff(),
    });
    expect(byStaff.json()).toMatchObject({
      id: booking.id,
      guestId: "guest-a",
      status: expect.not.stringMatching(/CANCEL/),
    });
    const byOwner = await system.reservation.inject({
      method: "GET",
      url: `/reservations/${booking.id}`,
      headers: asGuest("guest-a"),
    });
    expect(byOwner.statusCode).toBe(200);
  });

  it("when a guest lists bookings page by page while more arrive, then the pages hold exactly their own, newest first, none twice", async () => {
    const owner = `guest-${randomUUID()}`;
    const made: string[] = [];
    for (let i = 0; i < 25; i++) made.push((await book(system.reservation, aBooking(), asGuest(owner))).id);
    await book(system.reservation, aBooking(), asGuest(`other-${randomUUID()}`));
    const page = async (cursor?: string) => {
      const query = `limit=10${cursor ? `&cursor=${cursor}` : ""}`;
      const res = await system.reservation.inject({
        method: "GET",
        url: `/reservations?${query}`,
        headers: asGuest(owner),
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { items: { id: string; guestId: string }[]; nextCursor: string | null };
    };

    const first = await page();
    const arrivedMeanwhile: string[] = [];
    for (let i = 0; i < 5; i++) arrivedMeanwhile.push((await book(system.reservation, aBooking(), asGuest(owner))).id);
    const second = await page(first.nextCursor ?? undefined);
    const third = await page(second.nextCursor ?? undefined);

    const seen = [...first.items, ...second.items, ...third.items].map((b) => b.id);
    expect(seen).toEqual([...made].reverse());
    expect(third.nextCursor).toBeNull();
    expect(seen.some((id) => arrivedMeanwhile.includes(id))).toBe(false);
    expect(new Set([...first.items, ...second.items, ...third.items].map((b) => b.guestId))).toEqual(new Set([owner]));
  });

  it("when a guest filters by status or passes a bad cursor, then the list is filtered, or 400 names the cursor", async () => {
    const owner = `guest-${randomUUID()}`;
    await book(system.reservation, aBooking(), asGuest(owner));

    const pending = await system.reservation.inject({
      method: "GET",
      url: "/reservations?status=CANCEL",
      headers: asGuest(owner),
    });
    const bad = await system.reservation.inject({
      method: "GET",
      url: "/reservations?cursor=bm9wZQ",
      headers: asGuest(owner),
    });

    expect(pending.json()).toEqual({ items: [], nextCursor: null });
    expectError(bad, 400, "VALIDATION_FAILED");
    expect(bad.json().fields.map((f: { field: string }) => f.field)).toEqual(["querystring.cursor"]);
  });

  it("when a guest lists another guest's bookings, then 403; staff may", async () => {
    const owner = `guest-${randomUUID()}`;
    const booking = await book(system.reservation, aBooking(), asGuest(owner));
    const url = `/reservations?guestId=${owner}`;

    const byGuest = await system.reservation.inject({ method: "GET", url, headers: asGuest() });
    const byStaff = await system.reservation.inject({ method: "GET", url, headers: asStaff() });

    expectError(byGuest, 403, "FORBIDDEN");
    expect(byStaff.json().items.map((b: { id: string }) => b.id)).toEqual([booking.id]);
  });

  it("when two guests send the same Idempotency-Key, then each gets a booking of their own; one guest's concurrent copies make one", async () => {
    const key = `key-${randomUUID()}`;
    const body = aBooking();

    const [a, b] = [
      await book(system.reservation, body, { "idempotency-key": key, ...asGuest("guest-a") }),
      await book(system.reservation, body, { "idempotency-key": key, ...asGuest("guest-b") }),
    ];
    const copies = await Promise.all(
      Array.from({ length: 10 }, () =>
        book(system.reservation, body, { "idempotency-key": key, ...asGuest("guest-c") }),
      ),
    );

    expect(a.id).not.toBe(b.id);
    expect(new Set(copies.map((c) => c.id)).size).toBe(1);
    const stored = await system.reservation.reservationDb.reservation.count({ where: { idempotencyKey: key } });
    expect(stored).toBe(3);
  });
});

describe("abuse limits", () => {
  let system: AppSystem;
  beforeAll(async () => {
    system = await startSystem({
      env: {
        RATE_LIMIT_BOOKINGS_PER_MINUTE: "5",
        RATE_LIMIT_ANONYMOUS_PER_MINUTE: "3",
        MAX_ACTIVE_BOOKINGS_PER_GUEST: "1000",
      },
    });
  });
  afterAll(() => system?.close());

  it("when a guest books more than the limit a minute, then 429 RATE_LIMITED with Retry-After, and other guests still book", async () => {
    const guest = asGuest();
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await posting(system.reservation, guest));

    expect(answers.slice(0, 5).map((r) => r.statusCode)).toEqual([202, 202, 202, 202, 202]);
    expectError(answers[5] as LightMyRequestResponse, 429, "RATE_LIMITED");
    expect(Number(answers[5]?.headers["retry-after"])).toBeGreaterThan(0);
    expect((await posting(system.reservation, asGuest())).statusCode).toBe(202);
  });

  it("when requests without a valid token come from one address, then after the per-address limit they answer 429", async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) {
      answers.push(
        await system.reservation.inject({ method: "GET", url: `/reservations/${randomUUID()}`, headers: {} }),
      );
    }

    expect(answers.map((r) => r.statusCode)).toEqual([401, 401, 401, 429]);
    expect(answers[3]?.headers["retry-after"]).toBeDefined();
  });
});

describe("the cap on a guest's active bookings", () => {
  let system: AppSystem;
  beforeAll(async () => {
    system = await startSystem({
      env: { RATE_LIMIT_BOOKINGS_PER_MINUTE: "10000", MAX_ACTIVE_BOOKINGS_PER_GUEST: "3" },
    });
  });
  afterAll(() => system?.close());

  it("when one guest sends 50 bookings at once, then exactly the cap are accepted, and a slot frees when a booking fails", async () => {
    const guest = `guest-${randomUUID()}`;

    const answers = await Promise.all(Array.from({ length: 50 }, () => posting(system.reservation, asGuest(guest))));

    const accepted = answers.filter((r) => r.statusCode === 202);
    expect(accepted).toHaveLength(3);
    for (const refused of answers.filter((r) => r.statusCode !== 202))
      expectError(refused, 409, "TOO_MANY_ACTIVE_BOOKINGS");
    expect(await system.reservation.reservationDb.reservation.count({ where: { guestId: guest } })).toBe(3);
    // No room of that id exists: each fails (ROOM_NOT_FOUND), and leaves the guest's active ones.
    for (const res of accepted) await waitForStatus(system.reservation, res.json().id, ["FAILURE"]);
    expect((await posting(system.reservation, asGuest(guest))).statusCode).toBe(202);
  });
});

describe("tokens from an identity provider (RS256, its keys served as a JWKS)", () => {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = "test-key-1";
  let jwks: Server;
  let system: AppSystem;
  beforeAll(async () => {
    const jwk = { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" };
    jwks = createServer((_req, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] })),
    );
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    system = await startSystem({ env: { AUTH_JWT_ALGORITHM: "RS256", AUTH_JWT_SECRET: "", AUTH_JWT_JWKS_URL: url } });
  });
  afterAll(async () => {
    await system?.close();
    jwks?.close();
  });
  const issued = (options: Record<string, unknown>) =>
    createSigner({ iss: "hotel-saga-local", aud: "hotel-saga", expiresIn: 60_000, ...options })({ sub: "idp-guest" });

  it("when a token is signed with the provider's key, then it is accepted; an HS256 token keyed with the public key is not", async () => {
    const good = issued({ key: privateKey.export({ format: "pem", type: "pkcs8" }), algorithm: "RS256", kid });
    const confused = issued({ key: publicKey.export({ format: "pem", type: "spki" }), algorithm: "HS256" });

    const accepted = await posting(system.reservation, bearer(good));
    const refused = await posting(system.reservation, bearer(confused));

    expect(accepted.statusCode, accepted.body).toBe(202);
    expect(accepted.json().guestId).toBe("idp-guest");
    expectError(refused, 401, "UNAUTHENTICATED");
  });
});
