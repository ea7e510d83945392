// Property-based tests driven by the published contracts: requests are made from the OpenAPI
// documents' schemas (valid ones, and invalid ones made by breaking valid ones), sent to both
// running services, and every answer is checked against the same documents with Ajv; the saga's
// messages are read back from Kafka and checked against the AsyncAPI document.
//
// Seeded and bounded: FC_SEED (default fixed) and FC_RUNS (default 200 per property). A failure
// prints fast-check's seed, path and shrunk counterexample; replay it with FC_SEED=<seed>
// FC_PATH=<path> pnpm vitest run test/integration/contract-properties.test.ts.
import { type ServiceName, TOPIC, type TopicKey } from "@saga/contracts";
import { SERVICES } from "@saga/ops/services";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import fc from "fast-check";
import type { InjectOptions } from "fastify";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { brokenObject, type Known, type Schema, urlPart, validValue } from "../harness/arbitraries.js";
import { asyncApiChecks, type OpenApiOperation, openApiResponseChecks, readOpenApi } from "../harness/contracts.js";
import {
  type AppSystem,
  aBooking,
  bearer,
  book,
  createRoom,
  FINAL,
  recordTopic,
  startSystem,
  tokens,
  waitFor,
  waitForStatus,
} from "../harness/index.js";

const SEED = Number(process.env.FC_SEED ?? 20_261_203);
const RUNS = Number(process.env.FC_RUNS ?? 200);
const PATH = process.env.FC_PATH;
const settings = { seed: SEED, numRuns: RUNS, ...(PATH ? { path: PATH } : {}), endOnFailure: false };

type Service = ServiceName;
interface Operation extends OpenApiOperation {
  service: Service;
  method: string;
  path: string;
}

/** Every operation of every service's document, except the documents' own routes. */
const operations: Operation[] = SERVICES.flatMap((service) =>
  Object.entries(readOpenApi(service).paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ ...op, service, method: method.toUpperCase(), path })),
  ),
);
/** Operations to call, the booking (the saga's door) more often than the rest. */
const anOperation = (ops: Operation[]) =>
  fc.oneof(
    ...ops.map((op) => ({ weight: op.operationId === "bookRoom" ? ops.length : 1, arbitrary: fc.constant(op) })),
  );
/** The operations that take any input: the only ones a request can be broken for. */
const withInput = operations.filter((op) => (op.parameters ?? []).length > 0 || op.requestBody);
const responseChecks = Object.fromEntries(
  SERVICES.map((service) => [service, openApiResponseChecks(readOpenApi(service))]),
) as Record<Service, ReturnType<typeof openApiResponseChecks>>;

type Caller = "guest" | "otherGuest" | "staff" | "none" | "garbage" | "basic";
const callers: Caller[] = ["guest", "otherGuest", "staff", "none", "garbage", "basic"];
const needsStaff = (op: Operation) => op.service === "room" && op.operationId !== "getAvailability";

interface Call {
  op: Operation;
  caller: Caller;
  pathParams: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: Record<string, unknown>;
  body?: unknown;
  /** Which part was broken, for an invalid call. */
  broken?: "path" | "query" | "headers" | "body";
}

const partsOf = (op: Operation) => {
  const of = (where: string): Schema => {
    const params = (op.parameters ?? []).filter((p) => p.in === where);
    return {
      type: "object",
      properties: Object.fromEntries(params.map((p) => [p.name, p.schema as Schema])),
      required: params.filter((p) => p.required).map((p) => p.name),
    };
  };
  return {
    path: of("path"),
    query: of("query"),
    headers: of("header"),
    body: op.requestBody?.content["application/json"]?.schema as Schema | undefined,
  };
};

function callOf(op: Operation, known: Known, broken: boolean): fc.Arbitrary<Call> {
  const parts = partsOf(op);
  const valid = {
    pathParams: validValue(parts.path, known) as fc.Arbitrary<Record<string, unknown>>,
    query: validValue(parts.query, known) as fc.Arbitrary<Record<string, unknown>>,
    headers: validValue(parts.headers, known) as fc.Arbitrary<Record<string, unknown>>,
    body: parts.body ? validValue(parts.body, known) : fc.constant(undefined),
  };
  const caller = fc.oneof(
    { weight: 6, arbitrary: fc.constant<Caller>(needsStaff(op) ? "staff" : "guest") },
    { weight: 2, arbitrary: fc.constantFrom(...callers) },
  );
  const call = (overrides: Partial<typeof valid>, brokenPart?: Call["broken"]) =>
    fc.record({ caller, ...valid, ...overrides }).map(
      (c) =>
        ({
          op,
          ...c,
          broken: brokenPart,
          // How a counterexample is printed: the operation by name, then what was sent.
          [fc.toStringMethod]: () => `${op.service}.${op.operationId} ${fc.stringify({ ...c, broken: brokenPart })}`,
        }) as Call,
    );
  if (!broken) return call({});
  const ways: fc.Arbitrary<Call>[] = [];
  for (const [part, schema] of [
    ["path", parts.path],
    ["query", parts.query],
    ["headers", parts.headers],
  ] as const) {
    if (Object.keys(schema.properties ?? {}).length === 0) continue;
    const key = part === "path" ? "pathParams" : part;
    ways.push(call({ [key]: brokenObject(schema, valid[key]).filter(isRecord) }, part));
  }
  if (parts.body)
    ways.push(call({ body: brokenObject(parts.body, valid.body as fc.Arbitrary<Record<string, unknown>>) }, "body"));
  return fc.oneof(...ways);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The request a call makes: its path filled in, its query string and headers as sent on the wire. */
function request(call: Call, auth: Record<Caller, Record<string, string>>): InjectOptions {
  const url = call.op.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    name in call.pathParams ? urlPart(call.pathParams[name]) : "",
  );
  const query = Object.entries(call.query)
    .map(([key, value]) => `${urlPart(key)}=${urlPart(value)}`)
    .join("&");
  const headers: Record<string, string> = { ...auth[call.caller] };
  // A header value is one line of Latin-1: what cannot be sent as one is sent as its JSON.
  for (const [name, value] of Object.entries(call.headers))
    headers[name] = (typeof value === "string" ? value : (JSON.stringify(value) ?? "")).replace(/[^\x20-\x7e]/g, "?");
  return {
    method: call.op.method as InjectOptions["method"],
    url: query ? `${url}?${query}` : url,
    headers: call.body !== undefined ? { ...headers, "content-type": "application/json" } : headers,
    ...(call.body !== undefined ? { payload: JSON.stringify(call.body) } : {}),
  };
}

/** Whether the document allows a call's every part (query and path values are strings on the wire). */
function documentAllows() {
  const ajv = addFormats.default(new Ajv2020({ strict: false, coerceTypes: true }));
  const strict = addFormats.default(new Ajv2020({ strict: false }));
  const cache = new Map<object, ReturnType<typeof ajv.compile>>();
  const compiled = (instance: typeof ajv, schema: Schema) => {
    let found = cache.get(schema);
    if (!found) {
      found = instance.compile(schema);
      cache.set(schema, found);
    }
    return found;
  };
  const asWire = (values: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  return (call: Call) => {
    const parts = partsOf(call.op);
    if (parts.body && !compiled(strict, parts.body)(structuredClone(call.body))) return false;
    return (["path", "query", "headers"] as const).every((part) =>
      compiled(
        ajv,
        parts[part],
      )(asWire(part === "path" ? call.pathParams : part === "query" ? call.query : call.headers)),
    );
  };
}

describe("the services against their published contracts", () => {
  let system: AppSystem;
  let known: Known;
  let auth: Record<Caller, Record<string, string>>;
  let databases: Record<Service, pg.Client>;
  const accepted = new Set<string>();

  beforeAll(async () => {
    system = await startSystem({ env: { RATE_LIMIT_BOOKINGS_PER_MINUTE: "1000" } });
    const signer = tokens();
    auth = {
      guest: bearer(signer.guest("ada")),
      otherGuest: bearer(signer.guest("bob")),
      staff: bearer(signer.staff("reception")),
      none: {},
      garbage: { authorization: "Bearer not.a.token" },
      basic: { authorization: "Basic YWRhOnNlY3JldA==" },
    };
    const rooms = [(await createRoom(system.room, { units: 3 })).id, (await createRoom(system.room, { units: 1 })).id];
    const bookings: string[] = [];
    for (const [roomId, headers] of [
      [rooms[0], auth.guest],
      [rooms[1], auth.otherGuest],
    ] as const) {
      const booking = await book(system.reservation, aBooking({ roomId }), headers);
      bookings.push(booking.id);
      accepted.add(booking.id);
      await waitForStatus(system.reservation, booking.id, FINAL);
    }
    known = { uuids: [...rooms, ...bookings, "00000000-0000-0000-0000-000000000000"] };
    databases = Object.fromEntries(
      SERVICES.map((service) => [service, new pg.Client({ connectionString: system.databases[service] })]),
    ) as Record<Service, pg.Client>;
    await Promise.all(Object.values(databases).map((c) => c.connect()));
  });
  afterAll(async () => {
    await Promise.all(Object.values(databases ?? {}).map((c) => c.end()));
    await system?.close();
  });

  /** Sends a call to its service and checks the answer against the document; returns the status. */
  async function send(call: Call) {
    const res = await system[call.op.service].inject(request(call, auth));
    const where = `${call.op.operationId} answered ${res.statusCode}: ${res.body.slice(0, 300)}`;
    expect(res.statusCode, where).toBeLessThan(500);
    const check = responseChecks[call.op.service](call.op, res.statusCode);
    expect(check, `${where}; the document lists ${Object.keys(call.op.responses)}`).not.toBe("unlisted");
    if (check !== "unlisted" && res.headers["content-type"]?.toString().startsWith("application/json"))
      expect(check(res.json()), where).toBeUndefined();
    if (call.op.operationId === "bookRoom" && res.statusCode === 202) accepted.add(res.json().id);
    return res.statusCode;
  }

  /** What an invalid request must not change: bookings, holds, rooms, histories, outbox rows ever made. */
  const STATE = {
    reservation: `SELECT json_build_array((SELECT count(*) FROM "reservations"), (SELECT count(*) FROM "reservation_history"),
      (SELECT last_value FROM "outbox_id_seq"), (SELECT count(*) FROM "outbox")) AS "state"`,
    room: `SELECT json_build_array((SELECT count(*) FROM "rooms"), (SELECT count(*) FROM "holds"),
      (SELECT count(*) FROM "hold_history"), (SELECT last_value FROM "outbox_id_seq"), (SELECT count(*) FROM "outbox")) AS "state"`,
    payment: `SELECT json_build_array((SELECT count(*) FROM "accounts"), (SELECT count(*) FROM "movements"),
      (SELECT count(*) FROM "entries"), (SELECT count(*) FROM "payments"), (SELECT last_value FROM "outbox_id_seq"),
      (SELECT count(*) FROM "outbox")) AS "state"`,
  };
  const state = async () =>
    JSON.stringify(await Promise.all(SERVICES.map(async (s) => (await databases[s].query(STATE[s])).rows[0].state)));

  /** Until every booking is final and both outboxes are empty: nothing more will change by itself. */
  const settled = () =>
    waitFor(
      async () => {
        const [pending, outboxes] = await Promise.all([
          databases.reservation.query(
            `SELECT count(*)::int AS n FROM "reservations"
             WHERE "status" IN ('PENDING', 'AWAITING_PAYMENT', 'CANCEL_PENDING', 'RELEASE_PENDING')`,
          ),
          Promise.all(Object.values(databases).map((c) => c.query(`SELECT count(*)::int AS n FROM "outbox"`))),
        ]);
        return pending.rows[0].n + outboxes.reduce((n, r) => n + r.rows[0].n, 0);
      },
      (left) => left === 0,
      { what: "the saga to settle", timeoutMs: 60_000 },
    );

  it("when valid requests are made from the documents, then every answer is listed for its operation, matches its schema, and none is 5xx", async () => {
    const statuses = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        anOperation(operations).chain((op) => callOf(op, known, false)),
        async (call) => {
          const status = await send(call);
          const key = `${call.op.operationId} ${status}`;
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
        },
      ),
      settings,
    );
    console.log(`contract: valid requests (seed ${SEED}, ${RUNS} runs):`, Object.fromEntries([...statuses].sort()));
    // The generators reach the saga: some bookings were accepted, so the next test has messages.
    expect(accepted.size).toBeGreaterThan(0);
  });

  it("when requests are broken from valid ones, then each is refused with a listed 4xx and changes nothing", async () => {
    await settled();
    const allows = documentAllows();
    const outcomes: Record<string, number> = {};
    const count = (key: string) => {
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    };
    await fc.assert(
      fc.asyncProperty(
        anOperation(withInput).chain((op) => callOf(op, known, true)),
        async (call) => {
          const before = await state();
          const status = await send(call);
          if (status >= 400) {
            count(`${call.op.operationId} ${call.broken} refused`);
            expect(await state(), `${call.op.operationId} refused ${status} yet changed the databases`).toBe(before);
          } else {
            // A break the document still allows (an optional field dropped, say) may be accepted.
            expect(allows(call), `${call.op.operationId} took a request its document forbids: ${status}`).toBe(true);
            count(`${call.op.operationId} ${call.broken} allowed and accepted`);
            await settled();
          }
        },
      ),
      settings,
    );
    console.log(
      `contract: broken requests (seed ${SEED}, ${RUNS} runs):`,
      Object.fromEntries(Object.entries(outcomes).sort()),
    );
    const refused = Object.entries(outcomes).filter(([k]) => k.endsWith("refused"));
    expect(refused.reduce((n, [, v]) => n + v, 0)).toBeGreaterThan(RUNS / 2);
  });

  it("when bookings were accepted, then every message of theirs read back from Kafka matches the AsyncAPI document", async () => {
    const checks = asyncApiChecks();
    const topics: TopicKey[] = ["roomReserve", "roomCancel", "transactionResult", "deadLetter"];
    const readers = await Promise.all(topics.map((t) => recordTopic(system.topics[t])));
    try {
      const [reserves, , results, deadLetters] = readers;
      const ids = (received: { value: string | null }[]) =>
        new Set(received.map((r) => (JSON.parse(r.value ?? "{}") as { reservationId?: string }).reservationId));
      await waitFor(
        async () => [ids(reserves?.received ?? []), ids(results?.received ?? [])],
        ([sent, answered]) => [...accepted].every((id) => sent?.has(id) && answered?.has(id)),
        { what: "each accepted booking's room-reserve and reply", timeoutMs: 60_000 },
      );
      for (const [i, topic] of topics.entries()) {
        for (const record of readers[i]?.received ?? []) {
          const payload = JSON.parse(record.value ?? "null");
          const where = `${TOPIC[topic]} @${record.partition}/${record.offset}`;
          expect(checks[topic].payload(payload), where).toBeUndefined();
          expect(checks[topic].headers(record.headers), where).toBeUndefined();
          const key = topic === "transactionResult" ? payload.reservationId : payload.roomId;
          if (topic !== "deadLetter") expect(record.key, where).toBe(key);
        }
      }
      // Nothing the services sent each other was ever set aside.
      expect(deadLetters?.received).toEqual([]);
      expect(reserves?.received.length).toBeGreaterThanOrEqual(accepted.size);
    } finally {
      await Promise.all(readers.map((r) => r.stop()));
    }
  });
});
