import { randomBytes, randomUUID } from "node:crypto";
import {
  type OutboxEntry,
  type OutboxRelay,
  type OutboxRelayOptions,
  outboxInsert,
  Publisher,
  startOutboxRelay,
} from "@saga/platform/messaging";
import Fastify from "fastify";
import { Partitioners } from "kafkajs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  client,
  createTopics,
  type DomainDatabase,
  domainDatabase,
  recordTopic,
  startTcpProxy,
  type TcpProxy,
  waitFor,
} from "../harness/index.js";

/** More than the broker's default `message.max.bytes` (1 MiB): every request holding it is refused. */
const TWO_MEGABYTES = "x".repeat(2 * 1024 * 1024);

/** A key of each partition of a topic of `count` partitions, as kafkajs' default partitioner places keys. */
function keysOnPartitions(count: number): string[] {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  const keys = new Map<number, string>();
  for (let i = 0; keys.size < count; i++) {
    const key = `key-${i}`;
    const partition = partitioner({ topic: "any", partitionMetadata, message: { key, value: null } });
    if (!keys.has(partition)) keys.set(partition, key);
  }
  return Array.from({ length: count }, (_, partition) => keys.get(partition) as string);
}

describe("the outbox relay, when publishing goes wrong", () => {
  const topic = `relay-faults-${randomBytes(4).toString("hex")}`;
  const kafka = client("relay-faults-test");
  const log = Fastify().log;
  const [onFirst, onSecond] = keysOnPartitions(2) as [string, string];
  let database: DomainDatabase;
  const running: { relay: OutboxRelay; publisher: Publisher }[] = [];
  let proxy: TcpProxy | undefined;

  beforeAll(async () => {
    database = await domainDatabase("reservation");
    await createTopics([{ topic, numPartitions: 2 }]);
  });
  afterEach(async () => {
    for (const { relay, publisher } of running.splice(0)) {
      await relay.stop();
      await publisher.close();
    }
    await proxy?.close();
    proxy = undefined;
  });
  afterAll(() => database?.close());

  function start(overrides: Partial<OutboxRelayOptions> = {}) {
    const publisher = new Publisher(kafka, log);
    const relay = startOutboxRelay({
      databaseUrl: database.url,
      publisher,
      topics: [topic],
      log,
      pollMs: 100,
      batchSize: 500,
      ...overrides,
    });
    running.push({ relay, publisher });
    return relay;
  }

  const entry = (key: string, extra: object = {}): OutboxEntry => {
    const id = randomUUID();
    return { messageId: id, topic, key, payload: { id, ...extra } };
  };
  /** Commits the entries in one transaction, as one state change owing them would. */
  const commit = (...entries: OutboxEntry[]) => database.sql.transaction((tx) => tx.run(outboxInsert(entries)));
  const idOf = (r: { value: string | null }) => (JSON.parse(r.value ?? "{}") as { id: string }).id;
  /** The ids as first received, in order: a message may come twice (at least once), and a copy changes nothing. */
  const firstSeen = (ids: string[]) => [...new Set(ids)];
  const refused = async () =>
    (
      await database.db.query<{ message_id: string; reason: string }>(
        `SELECT "message_id"::text, "reason" FROM "outbox_refused" ORDER BY "id"`,
      )
    ).rows;
  const waiting = async () =>
    Number((await database.db.query<{ n: number }>(`SELECT count(*)::int AS "n" FROM "outbox"`)).rows[0]?.n);

  it("when a committed message is larger than the broker takes, then it is set aside with the broker's reason and the messages around it go, in order", async () => {
    const received = await recordTopic(topic);
    start();
    const before = entry(onFirst);
    const big = entry(onFirst, { padding: TWO_MEGABYTES });
    const after = [entry(onFirst), entry(onFirst)];

    await commit(before, big, ...after);
    const later = entry(onFirst);
    await commit(later);

    const expected = [before, ...after, later].map((e) => e.messageId);
    await received.until((m) => expected.every((id) => m.some((r) => idOf(r) === id)));
    await received.stop();
    expect(firstSeen(received.received.map(idOf)).filter((id) => expected.includes(id))).toEqual(expected);
    expect(await refused()).toEqual([
      { message_id: big.messageId, reason: expect.stringMatching(/^MESSAGE_TOO_LARGE: .*2097\d{3} bytes/) },
    ]);
    // What a batch sent is deleted by the relay's next read: at the next commit, or the next poll.
    await waitFor(waiting, (n) => n === 0, { what: "the outbox emptied" });
  });

  it("when a refused message shares a request with messages of another partition, then none of those is lost and the relay is not wedged", async () => {
    const received = await recordTopic(topic);
    start();
    // kafkajs rolls back the batch numbers of every partition of a refused request, the one the
    // broker accepted included: without a new producer, the next batch there is refused as out of
    // order, or taken for a duplicate and dropped.
    const first = entry(onFirst);
    const big = entry(onSecond, { padding: TWO_MEGABYTES });
    const second = entry(onFirst);
    await commit(first, big, second);
    const third = entry(onFirst);
    const other = entry(onSecond);
    await commit(third, other);

    const expected = [first, second, third, other].map((e) => e.messageId);
    await received.until((m) => expected.every((id) => m.some((r) => idOf(r) === id)));
    await received.stop();
    const sameKey = [first, second, third].map((e) => e.messageId);
    expect(firstSeen(received.received.map(idOf)).filter((id) => sameKey.includes(id))).toEqual(sameKey);
    expect((await refused()).map((r) => r.message_id)).toContain(big.messageId);
  });

  it("when a row names a topic the service does not publish, then it is set aside and the rest go on", async () => {
    const received = await recordTopic(topic);
    start();
    const stray = { ...entry(onFirst), topic: `not-${topic}` };
    const good = entry(onFirst);

    await commit(stray, good);

    await received.until((m) => m.some((r) => idOf(r) === good.messageId));
    await received.stop();
    expect(await refused()).toContainEqual({
      message_id: stray.messageId,
      reason: `topic not-${topic} is not one this service publishes to`,
    });
  });

  it("when the connection of the relay holding the lock goes silent, then a standby takes over within the session timeout and a poll", async () => {
    const sessionTimeoutMs = 2_000;
    const pollMs = 100;
    const server = new URL(database.url);
    const cuttable = await startTcpProxy(server.hostname, Number(server.port || 5432));
    proxy = cuttable;
    const viaProxy = new URL(database.url);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(cuttable.port);
    const received = await recordTopic(topic);
    start({ databaseUrl: viaProxy.toString(), sessionTimeoutMs, pollMs });
    const beforeSilence = entry(onFirst);
    await commit(beforeSilence);
    await received.until((m) => m.some((r) => idOf(r) === beforeSilence.messageId));
    // The first relay holds the lock: the second stands by.
    start({ sessionTimeoutMs, pollMs });

    cuttable.blackhole();
    const silencedAt = Date.now();
    const afterSilence = entry(onFirst);
    await commit(afterSilence);

    await waitFor(
      async () => received.received.some((r) => idOf(r) === afterSilence.messageId),
      (arrived) => arrived,
      // The stated bound, and room for this machine's scheduling.
      { what: "the standby relay to publish", timeoutMs: sessionTimeoutMs + pollMs + 5_000 },
    );
    console.info(`relay takeover after the connection went silent: ${Date.now() - silencedAt} ms`);
    await received.stop();
  });
});
