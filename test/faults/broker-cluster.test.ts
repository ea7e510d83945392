import { afterEach, describe, expect, it } from "vitest";
import {
  burstUnderway,
  expectNothingLost,
  faultReport,
  kafkaClient,
  type LocalCluster,
  type ProcessSystem,
  startLocalCluster,
  startSystem,
  waitAllFinal,
} from "../harness/index.js";
import "../harness/fault-meta.js";

async function leaderOfFirstPartition(brokers: string[], topic: string): Promise<number> {
  const admin = kafkaClient("admin", brokers, "fault-test").admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const partition = topics[0]?.partitions.find((p) => p.partitionId === 0);
    if (!partition) throw new Error(`no partition 0 of ${topic}`);
    expect(partition.replicas).toHaveLength(3);
    return partition.leader;
  } finally {
    await admin.disconnect();
  }
}

describe("a three-broker Kafka cluster losing a partition leader", () => {
  let cluster: LocalCluster | undefined;
  let system: ProcessSystem | undefined;
  afterEach(async () => {
    await system?.stop();
    await cluster?.stop();
  });

  it("when the leader's broker is killed during a burst, then the saga completes with nothing lost", async ({
    task,
  }) => {
    cluster = await startLocalCluster();
    system = await startSystem({
      processes: true,
      env: { KAFKA_BROKERS: cluster.brokers.join(","), KAFKA_REPLICATION_FACTOR: "3" },
    });
    const leader = await leaderOfFirstPartition(cluster.brokers, `${system.env.KAFKA_TOPIC_PREFIX}room-reserve`);
    const { rooms, load } = await burstUnderway(system, 200, 20, 50);

    await cluster.kill(leader);
    await load.done;
    await waitAllFinal(system, load.accepted, 180_000);

    const report = await faultReport(system, `3-broker cluster, leader (node ${leader}) killed`, load, rooms);
    task.meta.fault = report;
    expectNothingLost(report);
  });
});
