import { randomBytes } from "node:crypto";
import {
  DeadLetters,
  type Delivered,
  PermanentMessageError,
  Publisher,
  type RunningConsumer,
  startConsumer,
  topicHandler,
} from "@saga/platform/messaging";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { client, createTopics, produce, recordTopic, waitFor } from "../harness/index.js";

/** A transaction that only keeps what its work recorded when it commits (no database needed). */
function memoryStore() {
  const committed: string[] = [];
  let transactions = 0;
  return {
    committed,
    transactions: () => transactions,
    async transaction<R>(fn: (tx: string[]) => Promise<R>): Promise<R> {
      const tx: string[] = [];
      const result = await fn(tx);
      transactions++;
      committed.push(...tx);
      return result;
    },
  };
}

/**
 * A topic of `partitions` partitions and its dead-letter topic (created before the tests, the
 * consumer stopped after them), and a consumer over it whose handler applies `{ id, group }`
 * messages into a memory store, ordered by group, and refuses the one with id "poison".
 */
function runnerOn(name: string, partitions: number) {
  const suffix = randomBytes(4).toString("hex");
  const topic = `${name}-${suffix}`;
  const deadLetterTopic = `${name}-dlq-${suffix}`;
  const kafka = client("runner-test");
  const log = Fastify().log;
  const publisher = new Publisher(kafka, log);
  const deadLetters = new DeadLetters({
    publisher,
    topic: deadLetterTopic,
    service: "runner-test",
    maxValueBytes: 100_000,
    log,
  });
  const store = memoryStore();
  let consumer: RunningConsumer | undefined;

  beforeAll(async () => {
    await createTopics([
      { topic, numPartitions: partitions },
      { topic: deadLetterTopic, numPartitions: 1 },
    ]);
  });
  afterAll(async () => {
    await consumer?.stop();
    await publisher.close();
  });

  const schema = z.object({ id: z.string(), group: z.string() });
  /** Starts the consumer; `onCall` sees what each call of the handler (each transaction) is given. */
  async function start(onCall: (delivered: Delivered<z.infer<typeof schema>>[]) => void = () => {}, lingerMs?: number) {
    consumer = await startConsumer({
      lingerMs,
      kafka,
      groupId: `${name}-group-${suffix}`,
      deadLetters,
      log,
      transaction: (fn) => store.transaction(fn),
      handlers: [
        topicHandler({
          topic,
          schema,
          orderKey: (m) => m.group,
          id: (m) => m.id,
          handle: async (tx: string[], delivered) => {
            onCall(delivered);
            for (const { message: m } of delivered) {
              if (m.id === "poison") throw new PermanentMessageError("poison can never apply");
              tx.push(m.id);
            }
          },
        }),
      ],
    });
  }
  /** Waits until the messages committed so far satisfy `done`. */
  const committedUntil = (done: (count: number) => boolean, what: string) =>
    waitFor(async () => store.committed.length, done, { what });
  return { topic, deadLetterTopic, store, start, committedUntil };
}

describe("the consumer runner", () => {
  const { topic, deadLetterTopic, store, start, committedUntil } = runnerOn("runner", 1);

  it("when a chunk holds one message that can never apply, then only it is dead-lettered and the rest apply once, in key order", async () => {
    const letters = await recordTopic(deadLetterTopic);
    const messages = ["a1", "b1", "a2", "poison", "b2", "a3"].map((id) => ({
      key: "same-partition",
      value: JSON.stringify({ id, group: id.slice(0, 1) }),
    }));
    await produce(topic, messages);

    await start();

    await committedUntil((n) => n >= 5, "five messages applied");
    const [letter] = await letters.until((m) => m.length === 1);
    await letters.stop();

    expect(store.committed.filter((id) => id.startsWith("a"))).toEqual(["a1", "a2", "a3"]);
    expect(store.committed.filter((id) => id.startsWith("b"))).toEqual(["b1", "b2"]);
    expect(store.committed).toHaveLength(5);
    expect(JSON.parse(letter?.value ?? "")).toMatchObject({ reason: "poison can never apply", sourceTopic: topic });
  });

  it("when many messages arrive together, then they are applied in far fewer transactions than messages", async () => {
    const before = { committed: store.committed.length, transactions: store.transactions() };
    const messages = Array.from({ length: 100 }, (_, i) => ({
      key: "same-partition",
      value: JSON.stringify({ id: `c${i}`, group: "c" }),
    }));
    await produce(topic, messages);

    await committedUntil((n) => n >= before.committed + 100, "100 more applied");

    expect(store.committed.slice(before.committed)).toEqual(messages.map((_, i) => `c${i}`));
    expect(store.transactions() - before.transactions).toBeLessThanOrEqual(10);
  });
});

describe("the consumer runner, on a topic of three partitions", () => {
  const { topic, deadLetterTopic, store, start, committedUntil } = runnerOn("runner-partitions", 3);

  it("when every partition has messages waiting, then their chunks share transactions, a poison among them is dead-lettered alone, and each key keeps its order", async () => {
    const letters = await recordTopic(deadLetterTopic);
    // Produced before the consumer starts: its first fetch brings all three partitions at once.
    const ids = (partition: number) => Array.from({ length: 5 }, (_, i) => `p${partition}-${i}`);
    const messages = [0, 1, 2].flatMap((partition) =>
      ids(partition).map((id) => ({
        partition,
        key: `key-${partition}`,
        value: JSON.stringify({ id: id === "p1-2" ? "poison" : id, group: `key-${partition}` }),
      })),
    );
    await produce(topic, messages);
    /** How many partitions the messages of each call (each transaction) came from. */
    const partitionsPerCall: number[] = [];

    await start((delivered) => partitionsPerCall.push(new Set(delivered.map((d) => d.context.partition)).size));

    await committedUntil((n) => n >= 14, "the fourteen good messages applied");
    const [letter] = await letters.until((m) => m.length === 1);
    await letters.stop();

    for (const partition of [0, 1, 2]) {
      const expected = ids(partition).filter((id) => id !== "p1-2");
      expect(store.committed.filter((id) => id.startsWith(`p${partition}-`))).toEqual(expected);
    }
    expect(store.committed).toHaveLength(14);
    expect(JSON.parse(letter?.value ?? "")).toMatchObject({ reason: "poison can never apply", sourceTopic: topic });
    // Partitions fetched together were given to one transaction (not one transaction each).
    expect(Math.max(...partitionsPerCall)).toBeGreaterThan(1);
  });
});

describe("the consumer runner, lingering after a small batch", () => {
  const { topic, start, committedUntil } = runnerOn("runner-linger", 1);

  it("when messages arrive one by one while it lingers, then they are applied together in the next transaction", async () => {
    const calls: string[][] = [];
    // Long enough that five produce requests surely land within it, even on a slow machine.
    await start((delivered) => calls.push(delivered.map((d) => d.message.id)), 3_000);
    await produce(topic, [{ key: "k", value: JSON.stringify({ id: "first", group: "g" }) }]);
    await committedUntil((n) => n === 1, "the first message applied");

    const later = ["l1", "l2", "l3", "l4", "l5"];
    for (const id of later) await produce(topic, [{ key: "k", value: JSON.stringify({ id, group: "g" }) }]);
    await committedUntil((n) => n === 6, "the five later messages applied");

    expect(calls).toEqual([["first"], later]);
  });
});
