import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppSystem,
  aBooking,
  aStay,
  asGuest,
  book,
  createRoom,
  creditDeposit,
  type MetricSample,
  prepaid,
  produce,
  sampleValue,
  scrape,
  startSystem,
  waitFor,
  waitForStatus,
} from "../harness/index.js";

describe("the services' metrics", () => {
  let system: AppSystem;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(() => system?.close());

  it("when bookings succeed and fail, then GET /metrics counts them by outcome, times them, and shows nothing owed or pending", async () => {
    const room = await createRoom(system.room, { units: 1 });
    const ok = await book(system.reservation, aBooking({ roomId: room.id }));
    const missing = await book(system.reservation, aBooking());
    await waitForStatus(system.reservation, ok.id, ["SUCCESS"]);
    await waitForStatus(system.reservation, missing.id, ["FAILURE"]);

    const reservation = await waitFor(
      () => scrape(system.reservation),
      (samples) =>
        sampleValue(samples, "outbox_backlog_messages") === 0 &&
        lagOf(samples, system.topics.transactionResult) === 0 &&
        (sampleValue(samples, "outbox_published_total") ?? 0) >= 2,
      { what: "the reservation service's outbox drained and its consumer caught up" },
    );
    const room_ = await waitFor(
      () => scrape(system.room),
      (samples) =>
        lagOf(samples, system.topics.roomReserve) === 0 && sampleValue(samples, "outbox_backlog_messages") === 0,
      { what: "the room service's consumer caught up" },
    );

    expect({
      success: sampleValue(reservation, "saga_bookings_total", { status: "SUCCESS", reason: "" }),
      notFound: sampleValue(reservation, "saga_bookings_total", { status: "FAILURE", reason: "ROOM_NOT_FOUND" }),
      timed: sampleValue(reservation, "saga_duration_seconds_count"),
      pending: sampleValue(reservation, "saga_pending_bookings"),
      oldestPending: sampleValue(reservation, "saga_oldest_pending_seconds"),
      published: sampleValue(reservation, "outbox_published_total"),
      oldestOwed: sampleValue(reservation, "outbox_oldest_message_age_seconds"),
      results: sampleValue(reservation, "messages_applied_total", { topic: system.topics.transactionResult }),
      reserves: sampleValue(room_, "messages_applied_total", { topic: system.topics.roomReserve }),
      replies: sampleValue(room_, "outbox_published_total"),
    }).toEqual({
      success: 1,
      notFound: 1,
      timed: 2,
      pending: 0,
      oldestPending: 0,
      published: 2,
      oldestOwed: 0,
      results: 2,
      reserves: 2,
      replies: 2,
    });
    const accepted = sampleValue(reservation, "http_request_duration_seconds_count", {
      method: "POST",
      route: "/reservations",
      status: "202",
    });
    expect(accepted).toBe(2);
    expect(sampleValue(reservation, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(sampleValue(room_, "nodejs_eventloop_lag_seconds")).toBeGreaterThanOrEqual(0);
  });

  it("when prepaid bookings are charged, declined and refunded, then the payment service counts each outcome and the money moved", async () => {
    const suite = await createRoom(system.room, { units: 2, ...prepaid(10_000) });
    const funded = `guest-${crypto.randomUUID()}`;
    await creditDeposit(system.payment, funded, 30_000);
    const paid = await book(system.reservation, aBooking({ roomId: suite.id, ...aStay(2) }), asGuest(funded));
    const declined = await book(system.reservation, aBooking({ roomId: suite.id, ...aStay(1) }), asGuest("no-deposit"));
    await waitForStatus(system.reservation, paid.id, ["SUCCESS"]);
    await waitForStatus(system.reservation, declined.id, ["FAILURE"]);
    const cancelled = await system.reservation.inject({
      method: "POST",
      url: `/reservations/${paid.id}/cancel`,
      headers: asGuest(funded),
    });
    expect(cancelled.statusCode, cancelled.body).toBe(202);
    await waitForStatus(system.reservation, paid.id, ["CANCEL"]);

    const payment = await waitFor(
      () => scrape(system.payment),
      (samples) => lagOf(samples, system.topics.paymentRequest) === 0,
      { what: "the payment service's consumer caught up" },
    );

    expect({
      charged: sampleValue(payment, "payments_total", { status: "CHARGED", reason: "" }),
      declined: sampleValue(payment, "payments_total", { status: "DECLINED", reason: "NO_ACCOUNT" }),
      short: sampleValue(payment, "payments_total", { status: "DECLINED", reason: "INSUFFICIENT_FUNDS" }),
      refunded: sampleValue(payment, "payments_total", { status: "REFUNDED", reason: "" }),
      amountCharged: sampleValue(payment, "payment_amount_minor_units_total", { kind: "charged", currency: "EUR" }),
      amountRefunded: sampleValue(payment, "payment_amount_minor_units_total", { kind: "refunded", currency: "EUR" }),
    }).toEqual({
      charged: 1,
      declined: 1,
      short: 0,
      refunded: 1,
      amountCharged: 20_000,
      amountRefunded: 20_000,
    });
  });

  it("when a message is dead-lettered, then dead_letters_total counts it under its source topic", async () => {
    await produce(system.topics.roomReserve, [{ key: "poison", value: "this is not JSON" }]);

    const samples = await waitFor(
      () => scrape(system.room),
      (s) => sampleValue(s, "dead_letters_total", { topic: system.topics.roomReserve }) === 1,
      { what: "the dead letter counted" },
    );

    expect(sampleValue(samples, "dead_letters_total", { topic: system.topics.roomCancel })).toBe(0);
  });

  it("when a booking waits for its reply, then saga_pending_bookings and its age show it, and lag is per partition", async () => {
    await system.room.consumers.stop();
    const waiting = await book(system.reservation, aBooking());

    const samples = await waitFor(
      () => scrape(system.reservation),
      (s) => sampleValue(s, "saga_pending_bookings") === 1,
      { what: "one booking pending" },
    );

    expect(sampleValue(samples, "saga_oldest_pending_seconds")).toBeGreaterThan(0);
    const room_ = await waitFor(
      () => scrape(system.room),
      (s) => (lagOf(s, system.topics.roomReserve) ?? 0) >= 1,
      { what: "the room service's lag to show the reserve it has not read" },
    );
    const partitions = room_.filter(
      (s) => s.name === "kafka_consumer_lag_messages" && s.labels.topic === system.topics.roomReserve,
    );
    expect(partitions.map((s) => s.labels.partition).sort()).toEqual(["0", "1", "2"]);
    expect(waiting.status).toBe("PENDING");
  });
});

/** The lag summed over a topic's partitions, or undefined when the gauge has none for it. */
function lagOf(samples: MetricSample[], topic: string): number | undefined {
  const mine = samples.filter((s) => s.name === "kafka_consumer_lag_messages" && s.labels.topic === topic);
  return mine.length === 0 ? undefined : mine.reduce((sum, s) => sum + s.value, 0);
}
