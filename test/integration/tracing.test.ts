import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { context, propagation, SpanKind, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { topicNames } from "@saga/contracts";
import { createFastify } from "@saga/platform/http";
import { tracingPlugin } from "@saga/platform/tracing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppSystem,
  aBooking,
  asGuest,
  asStaff,
  book,
  createRoom,
  http,
  type ProcessSystem,
  produce,
  recordTopic,
  startSystem,
  waitFor,
  waitForStatus,
} from "../harness/index.js";

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

/** A caller's own trace: what a front end that traces sends. */
function callerTrace(n: number) {
  const traceId = n.toString(16).padStart(8, "0").repeat(4);
  return { traceId, traceparent: `00-${traceId}-${"ab".repeat(8)}-01` };
}

const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
const named = (spans: ReadableSpan[], name: string) => spans.find((s) => s.name === name);
const parentOf = (span: ReadableSpan | undefined) => span?.parentSpanContext?.spanId;

/** The spans one booking's saga leaves, from the request to the reservation service's update. */
const SAGA_SPANS = [
  "room-reserve publish",
  "room-reserve process",
  "room-reserve transaction",
  "transaction-result publish",
  "transaction-result process",
  "transaction-result transaction",
];
async function sagaSpans(system: AppSystem, traceId: string, expected = SAGA_SPANS) {
  await waitFor(
    async () => spansOf(traceId).map((s) => s.name),
    (names) => expected.every((name) => names.includes(`${system.prefix}${name}`)),
    { what: `the saga's spans in trace ${traceId}` },
  );
  return spansOf(traceId);
}

describe("tracing: one booking is one trace across both services", () => {
  let system: AppSystem;
  beforeAll(async () => {
    // What a process's SDK does when OTEL_EXPORTER_OTLP_ENDPOINT is set, with spans kept in memory instead.
    provider.register();
    // The endpoint turns the services' tracing on; in this process the spans go to the exporter above.
    system = await startSystem({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" } });
  });
  afterAll(async () => {
    await system?.close();
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it("when a caller sends a traceparent, then the request, both services' messages and transactions, and the history share its trace id", async () => {
    const reserves = await recordTopic(system.topics.roomReserve);
    const room = await createRoom(system.room, { units: 1 });
    const { traceId, traceparent } = callerTrace(1);

    const booking = await book(system.reservation, aBooking({ roomId: room.id }), { ...asGuest("ada"), traceparent });
    await waitForStatus(system.reservation, booking.id, ["SUCCESS"]);
    const spans = await sagaSpans(system, traceId);

    const span = (name: string) => named(spans, `${system.prefix}${name}`);
    const request = spans.find((s) => s.kind === SpanKind.SERVER);
    expect(request?.parentSpanContext?.spanId).toBe("ab".repeat(8));
    expect(request?.attributes["http.route"]).toBe("/reservations");
    // Each step is the child of the one before it: the stored row, the record's headers, the reply.
    expect(parentOf(span("room-reserve process"))).toBe(span("room-reserve publish")?.spanContext().spanId);
    expect(parentOf(span("room-reserve transaction"))).toBe(span("room-reserve process")?.spanContext().spanId);
    expect(parentOf(span("transaction-result publish"))).toBe(span("room-reserve process")?.spanContext().spanId);
    expect(parentOf(span("transaction-result process"))).toBe(span("transaction-result publish")?.spanContext().spanId);
    expect(span("room-reserve process")?.kind).toBe(SpanKind.CONSUMER);
    expect(span("room-reserve publish")?.kind).toBe(SpanKind.PRODUCER);

    await reserves.until((messages) => messages.some((m) => m.value?.includes(booking.id)));
    await reserves.stop();
    const record = reserves.received.find((m) => m.value?.includes(booking.id));
    expect(record?.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    const history = await system.reservation.inject({
      method: "GET",
      url: `/reservations/${booking.id}/history`,
      headers: asGuest("ada"),
    });
    expect(history.json().entries.map((e: { traceId: string | null }) => e.traceId)).toEqual([traceId, traceId]);
    const holds = await system.room.inject({
      method: "GET",
      url: `/holds/${booking.id}/history`,
      headers: asStaff(),
    });
    expect(holds.json().entries.map((e: { traceId: string | null }) => e.traceId)).toEqual([traceId]);
  });

  it("when bookings are applied together in one chunk, then each message still continues its own booking's trace", async () => {
    const room = await createRoom(system.room, { units: 10 });
    const traces = [2, 3, 4, 5, 6, 7].map(callerTrace);

    const bookings = await Promise.all(
      traces.map(({ traceparent }, i) =>
        book(system.reservation, aBooking({ roomId: room.id }), { ...asGuest(`g${i}`), traceparent }),
      ),
    );
    await Promise.all(bookings.map((b) => waitForStatus(system.reservation, b.id, ["SUCCESS"])));

    // A transaction over several messages cannot be the child of each: it is linked to each message's span.
    const processSpans = new Map<string, string>();
    for (const { traceId } of traces) {
      const spans = await sagaSpans(
        system,
        traceId,
        SAGA_SPANS.filter((name) => !name.endsWith("transaction")),
      );
      const process = named(spans, `${system.prefix}room-reserve process`);
      expect(parentOf(process)).toBe(named(spans, `${system.prefix}room-reserve publish`)?.spanContext().spanId);
      processSpans.set(process?.spanContext().spanId as string, traceId);
    }
    const transactions = exporter
      .getFinishedSpans()
      .filter((s) => s.name === `${system.prefix}room-reserve transaction`);
    const reached = new Set(
      transactions.flatMap((t) =>
        t.links.length > 0 ? t.links.map((l) => l.context.spanId) : [parentOf(t) as string],
      ),
    );
    expect([...processSpans.keys()].every((id) => reached.has(id))).toBe(true);
  });

  it("when a request is traced, then its log lines carry the trace id", async () => {
    const lines: { msg: string; trace_id?: string }[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const app = createFastify({ logger: { level: "info", stream } });
    await app.register(tracingPlugin, { enabled: true });
    app.get("/hello", async (request) => {
      request.log.info("handling");
      return { ok: true };
    });
    const { traceId, traceparent } = callerTrace(8);

    await app.inject({ method: "GET", url: "/hello", headers: { traceparent } });
    await app.close();

    expect(lines.find((l) => l.msg === "handling")?.trace_id).toBe(traceId);
  });
});

describe("tracing: export over OTLP", () => {
  let system: ProcessSystem | undefined;
  let collector: Server | undefined;
  afterAll(async () => {
    await system?.stop();
    collector?.close();
  });

  it("when OTEL_EXPORTER_OTLP_ENDPOINT is set, then both service processes export the booking's spans to it", async () => {
    const bodies: Buffer[] = [];
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (req.url === "/v1/traces") bodies.push(Buffer.concat(chunks));
        res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
      });
    });
    await new Promise<void>((resolve) => collector?.listen(0, "127.0.0.1", resolve));
    const { port } = collector.address() as AddressInfo;
    system = await startSystem({
      processes: true,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_BSP_SCHEDULE_DELAY: "100",
      },
    });
    const room = await http<{ id: string }>(`${system.url("room")}/rooms`, {
      method: "POST",
      json: { name: "Traced", units: 1 },
      headers: asStaff(),
    });
    const { traceId, traceparent } = callerTrace(9);

    const booked = await http<{ id: string }>(`${system.url("reservation")}/reservations`, {
      method: "POST",
      json: aBooking({ roomId: room.body.id }),
      headers: { ...asGuest("otlp"), traceparent },
    });

    expect(booked.status).toBe(202);
    // OTLP/protobuf carries the trace id as its 16 bytes and each process's service.name as text.
    const id = Buffer.from(traceId, "hex");
    const exported = await waitFor(
      async () => bodies.filter((b) => b.includes(id)),
      (traced) => ["reservation-service", "room-service"].every((name) => traced.some((b) => b.includes(name))),
      { what: "both services' spans of the booking at the collector" },
    );
    expect(exported.length).toBeGreaterThanOrEqual(2);
  });

  it("when a traced message cannot be applied, then the room service's log line about it carries the message's trace id", async () => {
    if (!system) throw new Error("the previous test starts the system");
    const topic = topicNames(system.env.KAFKA_TOPIC_PREFIX).roomReserve;
    const { traceId, traceparent } = callerTrace(10);

    await produce(topic, [{ key: "poison", value: "not a reservation", headers: { traceparent } }]);

    const line = await waitFor(
      async () =>
        (await readFile(system?.service("room").logFile as string, "utf8"))
          .split("\n")
          // The log holds the process's stderr too (Node's own warnings are not JSON).
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as { msg: string; trace_id?: string; topic?: string })
          .find((l) => l.msg === "message sent to the dead-letter topic" && l.topic === topic),
      (found) => found !== undefined,
      { what: "the room service's dead-letter log line" },
    );
    expect(line?.trace_id).toBe(traceId);
  });
});
