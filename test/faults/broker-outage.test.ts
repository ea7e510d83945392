import { afterEach, describe, expect, it } from "vitest";
import "../harness/fault-meta.js";
import { freePortPair } from "@saga/ops/ports";
import {
  burstUnderway,
  expectNothingLost,
  faultReport,
  type LocalBroker,
  type ProcessSystem,
  startLocalBroker,
  startSystem,
  untilAccepted,
  waitAllFinal,
} from "../harness/index.js";

describe("the Kafka broker stopped during a burst", () => {
  let broker: LocalBroker | undefined;
  let system: ProcessSystem | undefined;
  afterEach(async () => {
    await system?.stop();
    await broker?.stop();
  });

  it("when the broker is down, then bookings are still accepted as PENDING and all complete once it is back", async ({
    task,
  }) => {
    broker = await startLocalBroker(await freePortPair());
    system = await startSystem({ processes: true, env: { KAFKA_BROKERS: broker.brokers.join(",") } });
    const { rooms, load } = await burstUnderway(system, 200, 20, 30);

    await broker.stop();
    const beforeOutage = load.accepted.length;
    await untilAccepted(load, beforeOutage + 30, "bookings accepted while the broker is down");
    const readiness = await fetch(`${system.url("reservation")}/health/ready`);
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toMatchObject({ status: "not_ready", checks: { database: true, broker: false } });

    await broker.start();
    await load.done;
    await waitAllFinal(system, load.accepted, 180_000);

    const report = await faultReport(system, "broker stopped and restarted", load, rooms);
    task.meta.fault = report;
    expectNothingLost(report);
  });
});
