import { randomBytes, randomUUID } from "node:crypto";
import { type OutboxRelay, outboxInsert, Publisher, startOutboxRelay } from "@saga/platform/messaging";
import Fastify from "fastify";
import type { TopicMessages } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, createTopics, type DomainDatabase, domainDatabase, recordTopic, waitFor } from "../harness/index.js";

// The relay deletes what a batch sent with the statement that reads the next batch: these tests
// check that nothing is sent twice on the way, and that nothing sent is left behind.
describe("the outbox relay", () => {
  const topic = `relay-${randomBytes(4).toString("hex")}`;
  const kafka = client("relay-test");
  const log = Fastify().log;
  const publisher = new Publisher(kafka, log);
  let database: DomainDatabase;
  let relay: OutboxRelay | undefined;

  beforeAll(async () => {
    database = await domainDatabase("reservation");
    await createTopics([{ topic, numPartitions: 1 }]);
  });
  afterAll(async () => {
    await relay?.stop();
    await publisher.close();
    await database?.close();
  });

  const waiting = async () =>
    Number((await database.db.query<{ n: number }>(`SELECT count(*)::int AS "n" FROM "outbox"`)).rows[0]?.n);
  /** Commits `count` messages in one transaction, as a state change owing them would. */
  async function commitMessages(count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => randomUUID());
    await database.sql.transaction((tx) =>
      tx.run(outboxInsert(ids.map((id) => ({ messageId: id, topic, key: "one-key", payload: { id } })))),
    );
    return ids;
  }

  const idOf = (r: { value: string | null }) => (JSON.parse(r.value ?? "{}") as { id: string }).id;

  it("when messages are committed in several transactions, then each is sent once, in commit order, and none is left in the outbox", async () => {
    const received = await recordTopic(topic);
    // Batches of 2: five messages take three batches, each deleting the one before.
    relay = startOutboxRelay({ databaseUrl: database.url, publisher, topics: [topic], log, pollMs: 100, batchSize: 2 });
    const first = await commitMessages(5);
    await received.until((m) => m.length >= 5);
    const second = await commitMessages(3);
    const third = await commitMessages(1);
    await received.until((m) => m.length >= 9);
    await waitFor(waiting, (n) => n === 0, { what: "the outbox emptied" });

    // One more commit after the outbox emptied, so a re-send of anything earlier would arrive before it.
    const last = await commitMessages(1);
    await received.until((m) => m.some((r) => r.value?.includes(last[0] as string)));
    await received.stop();

    const sent = received.received.map(idOf);
    expect(sent).toEqual([...first, ...second, ...third, ...last]);
  });

  it("when commits arrive one by one while the relay lingers after a batch, then they leave in one produce request", async () => {
    await relay?.stop();
    const received = await recordTopic(topic);
    const requests: number[] = [];
    class Counting extends Publisher {
      override send(topicMessages: TopicMessages[]) {
        requests.push(topicMessages.reduce((sum, t) => sum + t.messages.length, 0));
        return super.send(topicMessages);
      }
    }
    const counting = new Counting(kafka, log);
    // Long enough that five commits surely land within it, even on a slow machine.
    relay = startOutboxRelay({
      databaseUrl: database.url,
      publisher: counting,
      topics: [topic],
      log,
      pollMs: 100,
      batchSize: 500,
      lingerMs: 3_000,
    });
    const [first] = await commitMessages(1);
    await received.until((m) => m.some((r) => r.value?.includes(first as string)));
    const later: string[] = [];
    for (let i = 0; i < 5; i++) later.push(...(await commitMessages(1)));
    const ours = () => received.received.map(idOf).filter((id) => id === first || later.includes(id));
    await received.until(() => ours().length >= 6);
    await received.stop();

    expect(ours()).toEqual([first, ...later]);
    expect(requests).toEqual([1, 5]);
  });

  it("when the relay stops, then what was committed is sent and deleted before it closes", async () => {
    const received = await recordTopic(topic);
    const [id] = await commitMessages(1);
    await relay?.stop();
    relay = undefined;

    expect(await waiting()).toBe(0);
    await received.until((m) => m.some((r) => r.value?.includes(id as string)));
    await received.stop();
  });
});
