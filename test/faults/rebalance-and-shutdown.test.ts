import { afterEach, describe, expect, it } from "vitest";
import "../harness/fault-meta.js";
import {
  bookAfterRestart,
  burstUnderway,
  expectNothingLost,
  faultReport,
  type ProcessSystem,
  spawnService,
  startSystem,
  untilAccepted,
  waitAllFinal,
} from "../harness/index.js";

describe("consumer group changes and graceful shutdown under load", () => {
  let system: ProcessSystem | undefined;
  afterEach(async () => {
    await system?.stop();
  });

  it("when a second room service joins and then leaves during a burst, then no booking is processed twice or skipped", async ({
    task,
  }) => {
    system = await startSystem({ processes: true });
    const { rooms, load } = await burstUnderway(system, 240, 20, 40);

    const second = await spawnService("room", system.env, { logName: "room-second" });
    await untilAccepted(load, 140, "bookings while two instances share the group");
    const { code } = await second.kill("SIGTERM");
    expect(code).toBe(0);
    await load.done;
    await waitAllFinal(system, load.accepted);

    const report = await faultReport(system, "room service instance joined then left (rebalance)", load, rooms);
    task.meta.fault = report;
    expectNothingLost(report);
  });

  for (const victim of ["room", "reservation"] as const) {
    it(`when the ${victim} service gets SIGTERM mid-burst, then it exits 0 within its bound and nothing is lost`, async ({
      task,
    }) => {
      system = await startSystem({ processes: true, env: { SHUTDOWN_TIMEOUT_MS: "10000" } });
      const { rooms, load } = await burstUnderway(system, 240, 20, 50);

      const { code, signal } = await system.service(victim).kill("SIGTERM");
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      await system.start(victim);
      const all = await bookAfterRestart(system, rooms, load);
      await waitAllFinal(system, all.accepted);

      const report = await faultReport(system, `SIGTERM ${victim} service (graceful shutdown)`, all, rooms);
      task.meta.fault = report;
      expectNothingLost(report);
    });
  }
});
