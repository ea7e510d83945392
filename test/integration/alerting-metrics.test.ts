import { DECLINE_REASONS, FAILURE_REASONS, FLOWS, type ServiceName } from "@saga/contracts";
import { SERVICES } from "@saga/ops/services";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppSystem,
  aBooking,
  asGuest,
  book,
  type MetricSample,
  queryRows,
  sampleValue,
  scrape,
  startSystem,
  waitFor,
} from "../harness/index.js";

type Series = [name: string, labels?: Record<string, string>];

/** Counters whose label values are open (any ISO 4217 currency): no series until the first one. */
const OPEN_COUNTERS = ["payment_amount_minor_units_total"];

/** Each series' value as `name{labels}`, undefined where the service exposes none. */
const valuesOf = (samples: MetricSample[], series: Series[]) =>
  Object.fromEntries(
    series.map(([name, labels = {}]) => [`${name}${JSON.stringify(labels)}`, sampleValue(samples, name, labels)]),
  );

describe("the series the alert rules read", () => {
  let system: AppSystem;
  beforeAll(async () => {
    system = await startSystem({
      env: {
        // Deadlines that pass at once, and a sweep that then waits ten minutes: bookings stay past them.
        SAGA_DEADLINE_MS: "1000",
        SAGA_SWEEP_MS: "600000",
        CANCEL_RESEND_MS: "1000",
        CANCEL_RESEND_MAX_MS: "1000",
        RATE_LIMIT_ANONYMOUS_PER_MINUTE: "2",
      },
    });
  });
  afterAll(() => system?.close());

  /** Every labelled counter's series each service should expose from the start, by its FLOWS and outcomes. */
  function knownCounters(service: ServiceName): Series[] {
    const { reads, writes } = FLOWS[service];
    const topic = (key: keyof typeof system.topics) => ({ topic: system.topics[key] });
    const own: Record<ServiceName, Series[]> = {
      reservation: [
        ["saga_bookings_total", { status: "SUCCESS", reason: "" }],
        ["saga_bookings_total", { status: "CANCEL", reason: "" }],
        ...[...FAILURE_REASONS, "TIMEOUT", "PAYMENT_DECLINED", "PAYMENT_TIMEOUT"].map(
          (reason): Series => ["saga_bookings_total", { status: "FAILURE", reason }],
        ),
      ],
      room: [],
      payment: [
        ["payments_total", { status: "CHARGED", reason: "" }],
        ["payments_total", { status: "REFUNDED", reason: "" }],
        ...DECLINE_REASONS.map((reason): Series => ["payments_total", { status: "DECLINED", reason }]),
      ],
    };
    return [
      ...reads.flatMap((key): Series[] => [
        ["messages_applied_total", topic(key)],
        ["dead_letters_total", topic(key)],
      ]),
      ...writes.filter((key) => key !== "deadLetter").map((key): Series => ["outbox_refused_total", topic(key)]),
      ["http_server_errors_total", { status: "500" }],
      ["http_server_errors_total", { status: "503" }],
      ["http_rate_limited_total"],
      ...own[service],
    ];
  }

  it("when the services have just started, then every labelled counter exposes each of its known series, at 0", async () => {
    for (const service of SERVICES) {
      const res = await system[service].inject({ method: "GET", url: "/metrics" });
      const counters = [...res.body.matchAll(/^# TYPE (\S+) counter$/gm)].map((m) => m[1] as string);
      const samples = await scrape(system[service]);
      const known = knownCounters(service);

      const values = valuesOf(samples, known);

      expect(values, service).toEqual(Object.fromEntries(Object.keys(values).map((series) => [series, 0])));
      expect(
        counters.filter((name) => !OPEN_COUNTERS.includes(name) && !samples.some((s) => s.name === name)),
        `${service}: counters without a series`,
      ).toEqual([]);
    }
  });

  it("when every dependency answers, then health_check_passing reports each check of both probes passing", async () => {
    const samples = await scrape(system.reservation);

    expect(
      samples
        .filter((s) => s.name === "health_check_passing")
        .map((s) => `${s.labels.probe}.${s.labels.check}=${s.value}`)
        .sort(),
    ).toEqual(["live.consumers=1", "live.lifecycle=1", "ready.broker=1", "ready.consumers=1", "ready.database=1"]);
  });

  it("when a booking outlives its deadline and a cancel goes unconfirmed, then the waiting gauges count each past its deadline, by state", async () => {
    await system.room.consumers.stop();
    const guest = asGuest(`guest-${crypto.randomUUID()}`);
    const late = await book(system.reservation, aBooking(), guest);
    const cancelled = await book(system.reservation, aBooking(), guest);
    const cancel = await system.reservation.inject({
      method: "POST",
      url: `/reservations/${cancelled.id}/cancel`,
      headers: guest,
    });
    expect(cancel.statusCode, cancel.body).toBe(202);

    const samples = await waitFor(
      () => scrape(system.reservation),
      (s) =>
        sampleValue(s, "saga_overdue_bookings", { status: "PENDING" }) === 1 &&
        sampleValue(s, "saga_overdue_bookings", { status: "CANCEL_PENDING" }) === 1,
      { what: "both bookings past their deadline" },
    );

    const byState = (name: string) =>
      Object.fromEntries(samples.filter((s) => s.name === name).map((s) => [s.labels.status, s.value]));
    expect(byState("saga_waiting_bookings")).toEqual({
      PENDING: 1,
      AWAITING_PAYMENT: 0,
      CANCEL_PENDING: 1,
      RELEASE_PENDING: 0,
      CHANGE_PENDING: 0,
    });
    expect(byState("saga_overdue_bookings")).toEqual({
      PENDING: 1,
      AWAITING_PAYMENT: 0,
      CANCEL_PENDING: 1,
      RELEASE_PENDING: 0,
      CHANGE_PENDING: 0,
    });
    const overdue = byState("saga_longest_overdue_seconds");
    expect(overdue.PENDING).toBeGreaterThan(0);
    expect(overdue.CANCEL_PENDING).toBeGreaterThan(0);
    expect([overdue.AWAITING_PAYMENT, overdue.RELEASE_PENDING, overdue.CHANGE_PENDING]).toEqual([0, 0, 0]);
    expect([late.status, cancelled.status]).toEqual(["PENDING", "PENDING"]);
    const room = await waitFor(
      () => scrape(system.room),
      (s) => sampleValue(s, "health_check_passing", { probe: "ready", check: "consumers" }) === 0,
      { what: "the room service's readiness to report its consumers gone" },
    );
    expect(sampleValue(room, "health_check_passing", { probe: "ready", check: "database" })).toBe(1);
  });

  it("when the relay sets a message aside, then outbox_refused_total counts it under its topic", async () => {
    const stray = `${system.prefix}not-ours`;
    await queryRows(
      system.databases.payment,
      `INSERT INTO "outbox" ("message_id", "topic", "key", "payload") VALUES ($1, $2, 'k', '{}')`,
      [crypto.randomUUID(), stray],
    );

    const samples = await waitFor(
      () => scrape(system.payment),
      (s) => sampleValue(s, "outbox_refused_total", { topic: stray }) === 1,
      { what: "the refused message counted" },
    );

    expect(sampleValue(samples, "outbox_refused_total", { topic: system.topics.paymentResult })).toBe(0);
  });

  it("when requests without a token exceed their limit, then http_rate_limited_total counts each 429, and no server error is counted", async () => {
    const answers = [];
    for (let i = 0; i < 5; i++)
      answers.push((await system.payment.inject({ method: "GET", url: "/accounts/me" })).statusCode);

    const samples = await scrape(system.payment);

    const refused = answers.filter((status) => status === 429).length;
    expect(refused).toBeGreaterThanOrEqual(3);
    expect({
      limited: sampleValue(samples, "http_rate_limited_total"),
      failed: sampleValue(samples, "http_server_errors_total", { status: "500" }),
      unavailable: sampleValue(samples, "http_server_errors_total", { status: "503" }),
    }).toEqual({ limited: refused, failed: 0, unavailable: 0 });
  });
});
