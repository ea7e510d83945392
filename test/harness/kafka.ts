import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { KAFKA_SCRIPT } from "@saga/ops/local";
import { ConfigResourceTypes, type Kafka, Partitioners } from "kafkajs";
import { inject } from "vitest";
import { kafkaClient } from "./access.js";
import { waitFor } from "./wait.js";

const run = promisify(execFile);

export interface Received {
  key: string | null;
  value: string | null;
  partition: number;
  offset: string;
  headers: Record<string, string>;
}

/** A client of the tests' broker, quiet, logged in as the super user (a test stages what no service may). */
export function client(clientId = "saga-tests"): Kafka {
  return kafkaClient("admin", inject("infra").brokers, clientId);
}

/** Creates topics on the tests' broker (provisioning makes the services'; a test's own need this). */
export async function createTopics(topics: { topic: string; numPartitions: number }[]): Promise<void> {
  const admin = client().admin();
  await admin.connect();
  try {
    // kafkajs's own wait for the leaders gives up on the first UNKNOWN_TOPIC_OR_PARTITION, which a
    // busy KRaft broker answers for a moment after the creation: poll the metadata instead.
    await admin.createTopics({ topics, waitForLeaders: false });
    await waitFor(
      () =>
        admin
          .fetchTopicMetadata({ topics: topics.map((t) => t.topic) })
          .then((m) => m.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
          .catch(() => false),
      (ready) => ready,
      { what: `leaders of ${topics.map((t) => t.topic).join(", ")}` },
    );
  } finally {
    await admin.disconnect();
  }
}

/** Produces raw messages, as a misbehaving or duplicating producer would. */
export async function produce(
  topic: string,
  messages: { key: string; value: string; partition?: number; headers?: Record<string, string> }[],
): Promise<void> {
  const producer = client().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Produces with Kafka's own console producer (a Java client), compressed with `codec` as a Java
 * or librdkafka producer so configured would: gzip, snappy, lz4 or zstd.
 */
export async function produceCompressed(
  topic: string,
  codec: "gzip" | "snappy" | "lz4" | "zstd",
  records: { key: string; value: string }[],
): Promise<void> {
  const input = records.map(({ key, value }) => `${key}\t${value}`).join("\n");
  const credentialsDir = inject("infra").kafkaCredentialsDir;
  const child = run(
    "bash",
    [
      KAFKA_SCRIPT,
      "run",
      "org.apache.kafka.tools.ConsoleProducer",
      "--bootstrap-server",
      inject("infra").brokers.join(","),
      "--topic",
      topic,
      "--compression-codec",
      codec,
      "--property",
      "parse.key=true",
      "--property",
      "key.separator=\t",
      ...(credentialsDir ? ["--producer.config", path.join(credentialsDir, "admin.properties")] : []),
    ],
    { timeout: 60_000 },
  );
  child.child.stdin?.end(`${input}\n`);
  await child;
}

/** Deletes every record a topic holds now, on every partition (as an operator or a retention policy would). */
export async function deleteAllRecords(topic: string): Promise<void> {
  const admin = client().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.deleteTopicRecords({
      topic,
      partitions: offsets.map(({ partition }) => ({ partition, offset: "-1" })),
    });
  } finally {
    await admin.disconnect();
  }
}

/** Changes a topic's settings (`max.message.bytes`, say). */
export async function alterTopic(topic: string, settings: Record<string, string>): Promise<void> {
  const admin = client().admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: Object.entries(settings).map(([name, value]) => ({ name, value })),
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

/** Reads a topic from the beginning with a group of its own and keeps what arrives. */
export async function recordTopic(topic: string) {
  const consumer = client().consumer({ groupId: `test-reader-${randomBytes(4).toString("hex")}` });
  const received: Received[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      received.push({
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
        partition,
        offset: message.offset,
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
      });
    },
  });
  return {
    received,
    /** Waits until the messages seen satisfy `done` (kafkajs's own tests' waitForMessages). */
    until: (done: (messages: Received[]) => boolean, what = `messages on ${topic}`) =>
      waitFor(async () => received, done, { what }),
    /** Waits until everything on the topic now has been read, on every partition. */
    caughtUp: async () => {
      const admin = client().admin();
      await admin.connect();
      try {
        const ends = await admin.fetchTopicOffsets(topic);
        await waitFor(
          async () => received,
          (messages) =>
            ends.every(
              ({ partition, high }) =>
                messages.some((m) => m.partition === partition && BigInt(m.offset) + 1n >= BigInt(high)) ||
                high === "0",
            ),
          { what: `the end of every partition of ${topic}` },
        );
      } finally {
        await admin.disconnect();
      }
    },
    json: <T>() => received.map((m) => JSON.parse(m.value ?? "null") as T),
    stop: () => consumer.disconnect(),
  };
}
