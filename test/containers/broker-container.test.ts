// Faults only containers make easy: the broker frozen in place (`docker pause`: its sockets stay
// open and answer nothing), and its network cut (`docker network disconnect`). Each test has a
// broker container of its own, so the other tests' broker is never touched.
import { afterEach, describe, expect, it, type TaskMeta } from "vitest";
import "../harness/fault-meta.js";
import { docker, freezeContainer, type KafkaContainer, startKafkaContainer } from "../harness/containers.js";
import {
  burstUnderway,
  expectNothingLost,
  faultReport,
  type ProcessSystem,
  startSystem,
  untilAccepted,
  waitAllFinal,
} from "../harness/index.js";

type Load = Awaited<ReturnType<typeof burstUnderway>>["load"];

describe("the broker's container frozen or cut off during a burst", () => {
  let kafka: KafkaContainer | undefined;
  let system: ProcessSystem | undefined;
  afterEach(async () => {
    await system?.stop();
    await kafka?.container.stop();
  });

  /**
   * A burst of 200 bookings against the services on a broker container of their own, `fault` done
   * to that container while it runs; then every booking must end, with nothing lost or doubled
   * (the report goes in the test's meta either way).
   */
  async function burstThrough(
    meta: TaskMeta,
    name: string,
    fault: (kafka: KafkaContainer, system: ProcessSystem, load: Load) => Promise<void>,
  ) {
    kafka = await startKafkaContainer();
    system = await startSystem({ processes: true, env: { KAFKA_BROKERS: kafka.brokers.join(",") } });
    const { rooms, load } = await burstUnderway(system, 200, 20, 30);
    await fault(kafka, system, load);
    await load.done;
    await waitAllFinal(system, load.accepted, 180_000);
    const report = await faultReport(system, name, load, rooms);
    meta.fault = report;
    expectNothingLost(report);
  }

  it("when the broker container is paused mid-burst, then bookings are still accepted and all complete once it runs again", async ({
    task,
  }) => {
    await burstThrough(task.meta, "broker container paused (docker pause)", async (kafka, _system, load) => {
      const frozen = await freezeContainer(kafka.id);
      await untilAccepted(
        load,
        load.accepted.length + 30,
        `bookings accepted while the broker is frozen (${frozen.how})`,
      );
      await frozen.thaw();
    });
  });

  it("when the broker container's network is cut mid-burst, then the services wait it out and nothing is lost", async ({
    task,
  }) => {
    await burstThrough(task.meta, "broker container's network cut", async (kafka, system, load) => {
      const network = await docker(
        "inspect",
        "--format",
        "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}",
        kafka.id,
      );
      await docker("network", "disconnect", network, kafka.id);
      await untilAccepted(load, load.accepted.length + 30, "bookings accepted while the broker is cut off");
      const readiness = await fetch(`${system.url("reservation")}/health/ready`);
      expect(readiness.status).toBe(503);
      await docker("network", "connect", network, kafka.id);
    });
  });
});
