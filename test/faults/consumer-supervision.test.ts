import { afterEach, describe, expect, it } from "vitest";
import "../harness/fault-meta.js";
import { freePortPair } from "@saga/ops/ports";
import {
  burstUnderway,
  expectNothingLost,
  faultReport,
  type LocalBroker,
  type ProcessSystem,
  type ServiceProcess,
  spawnService,
  startLocalBroker,
  startSystem,
  waitAllFinal,
  waitFor,
} from "../harness/index.js";

describe("a consumer that kafkajs will not restart", () => {
  let broker: LocalBroker | undefined;
  let system: ProcessSystem | undefined;
  let capped: ServiceProcess | undefined;
  afterEach(async () => {
    await capped?.kill("SIGKILL");
    await system?.stop();
    await broker?.stop();
  });

  it("when an instance cannot join its group (the broker caps groups at one member), then its liveness fails and it exits 1, while the first instance carries on", async ({
    task,
  }) => {
    // A non-retriable refusal from the group coordinator: kafkajs gives up on the consumer for good.
    broker = await startLocalBroker(await freePortPair(), ["group.max.size=1"]);
    system = await startSystem({ processes: true, env: { KAFKA_BROKERS: broker.brokers.join(",") } });
    const { rooms, load } = await burstUnderway(system, 120, 20, 20);

    capped = await spawnService(
      "room",
      { ...system.env, KAFKA_CONSUMER_RESTARTS: "2" },
      { waitReady: false, logName: "room-capped" },
    );
    const url = capped.url;
    await waitFor(
      async () => (await fetch(`${url}/health/live`)).status,
      (status) => status === 503,
      { what: "the capped instance's liveness to fail", intervalMs: 100 },
    );
    expect(await capped.exited).toEqual({ code: 1, signal: null });

    await load.done;
    await waitAllFinal(system, load.accepted);
    const report = await faultReport(system, "room instance its group cannot take: not alive, exits 1", load, rooms);
    task.meta.fault = report;
    expectNothingLost(report);
  });
});
