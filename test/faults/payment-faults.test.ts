import { afterEach, describe, expect, it } from "vitest";
import "../harness/fault-meta.js";
import {
  asStaff,
  burst,
  burstUnderway,
  client,
  createRooms,
  expectNothingLost,
  faultReport,
  fundGuests,
  http,
  type ProcessSystem,
  queryRows,
  startSystem,
  waitAllFinal,
  waitFor,
} from "../harness/index.js";

/** Every deposit's balance and every booking's charged and refunded, as the payment service keeps them. */
const moneySnapshot = async (system: ProcessSystem) => ({
  deposits: await queryRows(
    system.databases.payment,
    `SELECT "owner", "currency", "balance"::bigint AS "balance" FROM "accounts"
     WHERE "kind" = 'GUEST_DEPOSIT' ORDER BY 1, 2`,
  ),
  payments: await queryRows(
    system.databases.payment,
    `SELECT "reservation_id", "charged", "refunded" FROM "payments" ORDER BY 1`,
  ),
  entries: await queryRows(system.databases.payment, `SELECT count(*)::int AS "n" FROM "entries"`),
});

const statusOf = async (system: ProcessSystem, id: string) =>
  (
    await http<{ status: string; reason: string | null }>(`${system.url("reservation")}/reservations/${id}`, {
      headers: asStaff(),
    })
  ).body;

/** Asks to cancel each booking as staff. */
const cancelAll = (system: ProcessSystem, ids: string[]) =>
  Promise.all(
    ids.map((id) =>
      http(`${system.url("reservation")}/reservations/${id}/cancel`, { method: "POST", headers: asStaff() }),
    ),
  );

describe("the payment step under faults", () => {
  let system: ProcessSystem | undefined;
  afterEach(async () => {
    await system?.stop();
  });

  it("when the payment service is down past the payment deadline, then prepaid bookings fail PAYMENT_TIMEOUT, their nights back, and charges that land later are refunded", async ({
    task,
  }) => {
    const running = await startSystem({
      processes: true,
      env: { PAYMENT_DEADLINE_MS: "2000", SAGA_SWEEP_MS: "200", CANCEL_RESEND_MS: "1000" },
    });
    system = running;
    const rooms = await createRooms(running, [3, 8], [3, 8]);
    await fundGuests(running, 40);
    const { code } = await running.service("payment").kill("SIGTERM");
    expect(code).toBe(0);

    const load = burst(running, rooms, 40, 40);
    await load.done;
    // Each taken booking waits for its charge, times out, gives its nights back, and waits for the
    // payment service to confirm that nothing (or a refund) is owed.
    await waitFor(
      async () => (await Promise.all(load.accepted.map((id) => statusOf(running, id)))).map((b) => b.status),
      (statuses) => statuses.every((s) => s === "RELEASE_PENDING" || s === "FAILURE"),
      { what: "every booking past its payment deadline", timeoutMs: 60_000 },
    );

    await running.start("payment");
    await waitAllFinal(running, load.accepted);
    const outcomes = await Promise.all(load.accepted.map((id) => statusOf(running, id)));
    const byOutcome = outcomes.reduce<Record<string, number>>((n, b) => {
      const key = `${b.status} ${b.reason}`;
      n[key] = (n[key] ?? 0) + 1;
      return n;
    }, {});
    // Those whose nights were taken timed out waiting for their charge; the others found no room.
    const expected = ["FAILURE PAYMENT_TIMEOUT", "FAILURE NO_AVAILABILITY"];
    expect(
      Object.keys(byOutcome).filter((k) => !expected.includes(k)),
      JSON.stringify(byOutcome),
    ).toEqual([]);
    expect(byOutcome["FAILURE PAYMENT_TIMEOUT"]).toBeGreaterThan(0);
    // The funded guests' charges landed after their deadline, and each was refunded whole.
    const late = await queryRows<{ charged: string; refunded: string }>(
      running.databases.payment,
      `SELECT "charged"::text, "refunded"::text FROM "payments" WHERE "charged" > 0`,
    );
    expect(late.length).toBeGreaterThan(0);
    expect(late.filter((p) => p.refunded !== p.charged)).toEqual([]);

    const report = await faultReport(running, "payment service down past the payment deadline", load, rooms);
    task.meta.fault = report;
    expectNothingLost(report);
  });

  it("when guests cancel prepaid bookings while their charge is declined or taken, then each ends FAILURE or CANCEL with nothing charged, nights back", async ({
    task,
  }) => {
    const running = await startSystem({ processes: true });
    system = running;
    const rooms = await createRooms(running, [5, 8], [5, 8]);
    // Every tenth guest has no deposit: their charge is declined while their cancel is on its way.
    await fundGuests(running, 120);
    // Each booking is cancelled as soon as it is accepted: before its nights are taken, while its
    // charge is asked for, declined or taken, or once it succeeded.
    const answers: number[] = [];
    const cancel = async (id: string) => {
      const res = await http(`${running.url("reservation")}/reservations/${id}/cancel`, {
        method: "POST",
        headers: asStaff(),
      });
      answers.push(res.status);
    };
    const load = burst(running, rooms, 120, 60, 8, cancel);
    await load.done;
    // 202 for each (a booking is never final so soon, but 409 would say it was, and is allowed).
    expect(answers.filter((status) => status !== 202 && status !== 409)).toEqual([]);
    const byStatus = await waitAllFinal(running, load.accepted);
    expect(byStatus.SUCCESS ?? 0).toBe(0);
    expect(byStatus.CANCEL).toBeGreaterThan(0);

    const report = await faultReport(running, "guests cancel while their charge is declined or taken", load, rooms);
    task.meta.fault = report;
    expectNothingLost(report);
    // A cancel before SUCCESS, or this far ahead of the stay, keeps nothing: no money stays charged.
    const net = await queryRows<{ net: number }>(
      running.databases.payment,
      `SELECT COALESCE(sum("charged" - "refunded"), 0)::int AS "net" FROM "payments"`,
    );
    expect(net).toEqual([{ net: 0 }]);
  });

  it("when every payment request is delivered a second time (the payment group's offsets reset to the start), then no money moves twice", async ({
    task,
  }) => {
    const running = await startSystem({ processes: true });
    system = running;
    const { rooms, load } = await burstUnderway(running, 120, 40, 120);
    await load.done;
    await waitAllFinal(running, load.accepted);
    // A third of them are cancelled: their refunds are among the requests delivered again.
    await cancelAll(
      running,
      load.accepted.filter((_, i) => i % 3 === 0),
    );
    await waitAllFinal(running, load.accepted);
    const before = await moneySnapshot(running);
    expect(before.payments.length).toBeGreaterThan(0);

    await running.service("payment").kill("SIGTERM");
    const admin = client("payment-fault").admin();
    await admin.connect();
    const groupId = `${running.prefix}payment-service`;
    try {
      await admin.resetOffsets({ groupId, topic: running.topics.paymentRequest, earliest: true });
    } finally {
      await admin.disconnect();
    }
    await running.start("payment");
    await waitFor(
      () => consumerLag(running, groupId),
      (lag) => lag === 0,
      { what: "the payment service to read every request again" },
    );

    expect(await moneySnapshot(running)).toEqual(before);
    const report = await faultReport(running, "every payment request delivered twice", load, rooms);
    task.meta.fault = report;
    expectNothingLost(report);
  });
});

/** How far the group is behind the end of the payment-request topic, over its partitions. */
async function consumerLag(system: ProcessSystem, groupId: string): Promise<number> {
  const admin = client("payment-fault-lag").admin();
  await admin.connect();
  try {
    const topic = system.topics.paymentRequest;
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    return ends.reduce((lag, end) => {
      const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? "-1";
      return lag + Number(end.offset) - Math.max(0, Number(at));
    }, 0);
  } finally {
    await admin.disconnect();
  }
}
