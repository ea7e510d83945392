import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Writable } from "node:stream";
import { type ServiceName, topicNames } from "@saga/contracts";
import { SERVICES } from "@saga/ops/services";
import type { ServiceConfig, ServiceSettings } from "@saga/platform/config";
import { createFastify } from "@saga/platform/http";
import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  aBooking,
  asGuest,
  asStaff,
  book,
  createRoom,
  creditDeposit,
  freshDatabases,
  http,
  type ProcessSystem,
  prepaid,
  produce,
  provisionKafkaFor,
  recordTopic,
  startSystem,
  testEnv,
  uniquePrefix,
  waitFor,
  waitForStatus,
} from "../harness/index.js";

interface LogLine {
  msg: string;
  trace_id?: string;
  topic?: string;
  messageId?: string;
}

/** Every service in this process at debug level, each logging to lines the test reads, with no OTLP endpoint. */
async function startLoggedSystem() {
  const databases = await freshDatabases();
  const env = testEnv(uniquePrefix("trace-context"), databases.urls, { LOG_LEVEL: "debug" });
  await provisionKafkaFor(env);
  const logs = Object.fromEntries(SERVICES.map((s) => [s, [] as LogLine[]])) as Record<ServiceName, LogLine[]>;
  const apps = {} as Record<ServiceName, FastifyInstance>;
  const close = async () => {
    await Promise.all(Object.values(apps).map((app) => app.close()));
    await databases.drop();
  };
  try {
    for (const service of SERVICES) {
      const [{ default: plugin }, { settings }] = await Promise.all([
        import(`@saga/${service}`) as Promise<{ default: FastifyPluginAsync<{ config: ServiceConfig }> }>,
        import(`@saga/${service}/config`) as Promise<{ settings: ServiceSettings }>,
      ]);
      const config = settings.loadConfig(env);
      const stream = new Writable({
        write(chunk, _encoding, done) {
          logs[service].push(JSON.parse(chunk.toString()));
          done();
        },
      });
      apps[service] = createFastify({ logger: { level: config.logLevel, stream } });
      await apps[service].register(plugin, { config });
    }
    for (const app of Object.values(apps)) {
      await waitFor(
        () => app.inject({ method: "GET", url: "/health/ready" }),
        (res) => res.statusCode === 200,
        { what: "readiness", timeoutMs: 60_000 },
      );
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { ...apps, topics: topicNames(env.KAFKA_TOPIC_PREFIX as string), logs, close };
}

/** A caller's own trace: what a front end that traces sends. */
function callerTrace(n: number) {
  const traceId = n.toString(16).padStart(8, "0").repeat(4);
  return { traceId, traceparent: `00-${traceId}-${"cd".repeat(8)}-01` };
}

type Recorder = Awaited<ReturnType<typeof recordTopic>>;
type Received = Recorder["received"][number];

/** The trace id of a record's `traceparent` header. */
const traceIdIn = (record: Received) => record.headers.traceparent?.split("-")[1];

describe("trace context without an exporter: a booking's trace id reaches its history, its records and every service's logs", () => {
  let system: Awaited<ReturnType<typeof startLoggedSystem>>;
  beforeAll(async () => {
    system = await startLoggedSystem();
  });
  afterAll(() => system?.close());

  /** Records the booking's room-reserve, its room replies and its payment replies. */
  const recordAll = async () => {
    const { roomReserve, transactionResult, paymentResult } = system.topics;
    const [reserves, results, payments] = await Promise.all([
      recordTopic(roomReserve),
      recordTopic(transactionResult),
      recordTopic(paymentResult),
    ]);
    return { reserves, results, payments };
  };

  /** A prepaid booking of a funded guest, to SUCCESS: it crosses the room and the payment services. */
  async function bookPrepaid(headers: Record<string, string> = {}) {
    const guest = `guest-${randomUUID()}`;
    const room = await createRoom(system.room, { units: 1, ...prepaid(10_000) });
    await creditDeposit(system.payment, guest, 100_000);
    const booking = await book(system.reservation, aBooking({ roomId: room.id }), { ...asGuest(guest), ...headers });
    await waitForStatus(system.reservation, booking.id, ["SUCCESS"]);
    return { guest, booking };
  }

  const historyOf = async (id: string) => {
    const res = await system.reservation.inject({
      method: "GET",
      url: `/reservations/${id}/history`,
      headers: asStaff(),
    });
    return (res.json() as { entries: { status: string; traceId: string | null }[] }).entries;
  };

  /** The "message applied" lines a service wrote from `from` on, once there are `count`. */
  const appliedLines = (service: ServiceName, from: number, count: number) =>
    waitFor(
      async () => system.logs[service].slice(from).filter((l) => l.msg === "message applied"),
      (lines) => lines.length >= count,
      { what: `${count} "message applied" lines of the ${service} service` },
    );

  const recordsOf = async (recorder: Recorder, id: string, count: number) => {
    const mine = (messages: Received[]) => messages.filter((m) => m.value?.includes(id));
    await recorder.until((messages) => mine(messages).length >= count);
    await recorder.stop();
    return mine(recorder.received);
  };

  it("when a caller sends a traceparent, then every history entry through the cancel, both services' log lines and the records carry its trace id", async () => {
    const { traceId, traceparent } = callerTrace(0x5eed);
    const recorders = await recordAll();
    const from = { room: system.logs.room.length, payment: system.logs.payment.length };

    const { guest, booking } = await bookPrepaid({ traceparent });
    const cancel = await system.reservation.inject({
      method: "POST",
      url: `/reservations/${booking.id}/cancel`,
      headers: { ...asGuest(guest), traceparent },
    });
    await waitForStatus(system.reservation, booking.id, ["CANCEL"]);

    expect(cancel.statusCode).toBe(202);
    const entries = await historyOf(booking.id);
    expect(entries.map((e) => e.status)).toEqual(expect.arrayContaining(["PENDING", "SUCCESS", "CANCEL"]));
    expect(entries.map((e) => e.traceId)).toEqual(entries.map(() => traceId));
    // The room service applies the room-reserve and the room-cancel; the payment service the charge and the refund.
    for (const service of ["room", "payment"] as const) {
      const lines = await appliedLines(service, from[service], 2);
      expect(lines.map((l) => l.trace_id)).toEqual(lines.map(() => traceId));
    }
    const reserves = await recordsOf(recorders.reserves, booking.id, 1);
    const results = await recordsOf(recorders.results, booking.id, 2);
    const payments = await recordsOf(recorders.payments, booking.id, 2);
    expect([...reserves, ...results, ...payments].map(traceIdIn)).toEqual(
      [...reserves, ...results, ...payments].map(() => traceId),
    );
  });

  it("when a request comes without a traceparent, then it gets a trace id of its own, the same in the history, both services' log lines and the records", async () => {
    const recorders = await recordAll();
    const from = { room: system.logs.room.length, payment: system.logs.payment.length };

    const { booking } = await bookPrepaid();

    const entries = await historyOf(booking.id);
    const traceId = entries[0]?.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(entries.map((e) => e.traceId)).toEqual(entries.map(() => traceId));
    for (const service of ["room", "payment"] as const) {
      const lines = await appliedLines(service, from[service], 1);
      expect(lines.map((l) => l.trace_id)).toEqual(lines.map(() => traceId));
    }
    const records = [
      ...(await recordsOf(recorders.reserves, booking.id, 1)),
      ...(await recordsOf(recorders.results, booking.id, 1)),
      ...(await recordsOf(recorders.payments, booking.id, 1)),
    ];
    expect(records.map(traceIdIn)).toEqual(records.map(() => traceId));
  });
});

describe("trace context without an exporter, in the service processes", () => {
  let system: ProcessSystem | undefined;
  afterAll(() => system?.stop());

  it("when a caller's traceparent reaches a service process, then the history and the dead-letter warning carry its trace id", async () => {
    system = await startSystem({ processes: true, label: "trace-context" });
    const room = await http<{ id: string }>(`${system.url("room")}/rooms`, {
      method: "POST",
      json: { name: "Traced", units: 1 },
      headers: asStaff(),
    });
    const booking = callerTrace(0xb00c);
    const poison = callerTrace(0xdead);

    const booked = await http<{ id: string }>(`${system.url("reservation")}/reservations`, {
      method: "POST",
      json: aBooking({ roomId: room.body.id }),
      headers: { ...asGuest("processes"), traceparent: booking.traceparent },
    });
    await produce(system.topics.roomReserve, [
      { key: "poison", value: "not a reservation", headers: { traceparent: poison.traceparent } },
    ]);

    const history = await waitFor(
      () =>
        http<{ entries: { status: string; traceId: string | null }[] }>(
          `${system?.url("reservation")}/reservations/${booked.body.id}/history`,
          { headers: asStaff() },
        ),
      (res) => res.body.entries.some((e) => e.status === "SUCCESS"),
      { what: "the booking's SUCCESS in its history" },
    );
    expect(history.body.entries.map((e) => e.traceId)).toEqual([booking.traceId, booking.traceId]);
    const line = await waitFor(
      async () =>
        (await readFile(system?.service("room").logFile as string, "utf8"))
          .split("\n")
          // The log holds the process's stderr too (Node's own warnings are not JSON).
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as LogLine)
          .find((l) => l.msg === "message sent to the dead-letter topic" && l.topic === system?.topics.roomReserve),
      (found) => found !== undefined,
      { what: "the room service's dead-letter warning" },
    );
    expect(line?.trace_id).toBe(poison.traceId);
  });
});
