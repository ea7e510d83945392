import { afterEach, describe, expect, it } from "vitest";
import "../harness/fault-meta.js";
import {
  bookAfterRestart,
  burstUnderway,
  expectNothingLost,
  faultReport,
  type ProcessSystem,
  startSystem,
  waitAllFinal,
} from "../harness/index.js";

describe("a service process killed with SIGKILL in the middle of a burst", () => {
  let system: ProcessSystem | undefined;
  afterEach(async () => {
    await system?.stop();
  });

  for (const victim of ["room", "payment", "reservation"] as const) {
    it(`when the ${victim} service is killed and restarted, then every accepted booking completes, and nights and money agree`, async ({
      task,
    }) => {
      system = await startSystem({ processes: true });
      const { rooms, load } = await burstUnderway(system, 300, 25, 50);

      const { signal } = await system.service(victim).kill("SIGKILL");
      expect(signal).toBe("SIGKILL");
      await system.start(victim);
      const all = await bookAfterRestart(system, rooms, load);
      await waitAllFinal(system, all.accepted);

      const report = await faultReport(system, `SIGKILL ${victim} service`, all, rooms);
      task.meta.fault = report;
      expectNothingLost(report);
    });
  }
});
