// What `pnpm dlq` does, as functions a test can call on any broker and databases.
import { randomBytes } from "node:crypto";
import {
  type DeadLetterMessage,
  deadLetterMessage,
  FLOWS,
  type ServiceName,
  type TopicKey,
  type Topics,
} from "@saga/contracts";
import { type OutboxEntry, outboxInsert, REPLAY_COUNT_HEADER } from "@saga/platform/messaging";
import { openPool, sql, sqlOn, sqlState } from "@saga/platform/sql";
import type { Kafka } from "kafkajs";
import type pg from "pg";
import { z } from "zod";
import { toolLog } from "./tool-log.js";

export interface DeadLetter {
  /** `<partition>:<offset>` on the dead-letter topic. */
  id: string;
  record: DeadLetterMessage;
}

/**
 * Every record the dead-letter topic holds now, read from the start in a consumer group of the
 * operators' own (`<prefix>operator-dlq-…`, deleted after), up to the log end seen at the start.
 */
export async function readDeadLetters(kafka: Kafka, topic: string, groupPrefix: string): Promise<DeadLetter[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `${groupPrefix}operator-dlq-${randomBytes(4).toString("hex")}`;
  const consumer = kafka.consumer({ groupId });
  let joined = false;
  try {
    const ends = (await admin.fetchTopicOffsets(topic)).filter((p) => Number(p.high) > Number(p.low));
    const letters: DeadLetter[] = [];
    const seen = new Map<number, number>();
    if (ends.length > 0) {
      joined = true;
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          seen.set(partition, Number(message.offset));
          const parsed = deadLetterMessage.safeParse(JSON.parse(message.value?.toString() ?? "null"));
          if (parsed.success) letters.push({ id: `${partition}:${message.offset}`, record: parsed.data });
        },
      });
      const deadline = Date.now() + 30_000;
      while (!ends.every((p) => (seen.get(p.partition) ?? -1) >= Number(p.high) - 1)) {
        if (Date.now() > deadline) throw new Error(`could not read ${topic} to its end within 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return letters.sort((a, b) => a.record.failedAt.localeCompare(b.record.failedAt));
  } finally {
    await consumer.disconnect();
    // The group exists only once the consumer joined. It is the operators' own and empty now: if it
    // cannot be deleted, the broker expires it with its offsets, and the warning says which it is.
    if (joined) {
      await admin
        .deleteGroups([groupId])
        .catch((err: Error) => toolLog.warn({ err: err.message }, `dlq: reading group ${groupId} not deleted`));
    }
    await admin.disconnect();
  }
}

export interface Selection {
  ids?: string[];
  sourceTopic?: string;
  since?: Date;
}

export function select(letters: DeadLetter[], { ids, sourceTopic, since }: Selection): DeadLetter[] {
  return letters.filter(
    (l) =>
      (!ids || ids.includes(l.id)) &&
      (!sourceTopic || l.record.sourceTopic === sourceTopic) &&
      (!since || Date.parse(l.record.failedAt) >= since.getTime()),
  );
}

/** The service that publishes `topic`, by the saga's data flow. */
export function ownerOf(topics: Topics, topic: string): ServiceName | undefined {
  const key = (Object.keys(topics) as TopicKey[]).find((k) => topics[k] === topic);
  return (Object.keys(FLOWS) as ServiceName[]).find(
    (s) => key && (FLOWS[s].writes as readonly TopicKey[]).includes(key),
  );
}

export type Replayed = { id: string; ok: true; service: ServiceName } | { id: string; ok: false; why: string };

/**
 * Sends each dead letter again to its source topic, with its key and value, through the outbox of
 * the service that owns that topic (so it goes out under that service's principal, in order with
 * the service's own messages for the key), with `replay-count` one more than before. A message
 * already applied changes nothing when it comes again (the consumer's inbox knows its id).
 */
export async function replay(
  letters: DeadLetter[],
  topics: Topics,
  databaseOf: (service: ServiceName) => string,
): Promise<Replayed[]> {
  const pools = new Map<ServiceName, pg.Pool>();
  const poolOf = (service: ServiceName) => {
    const pool = pools.get(service) ?? openPool(databaseOf(service), "background", 1, toolLog);
    pools.set(service, pool);
    return pool;
  };
  const results: Replayed[] = [];
  try {
    for (const letter of letters) {
      const owed = asOutboxEntry(letter, topics);
      if ("why" in owed) {
        results.push({ id: letter.id, ok: false, why: owed.why });
        continue;
      }
      try {
        await sqlOn(poolOf(owed.service)).run(outboxInsert([owed.entry]));
        results.push({ id: letter.id, ok: true, service: owed.service });
      } catch (err) {
        const queued = sqlState(err) === "23505";
        const why = queued ? `already waiting in the ${owed.service} outbox` : (err as Error).message;
        results.push({ id: letter.id, ok: false, why });
      }
    }
  } finally {
    await Promise.all([...pools.values()].map((pool) => pool.end()));
  }
  return results;
}

/** The outbox row that sends a dead letter again, and whose outbox it goes to; or why it cannot go. */
function asOutboxEntry(
  { id, record }: DeadLetter,
  topics: Topics,
): { why: string } | { service: ServiceName; entry: OutboxEntry } {
  const service = ownerOf(topics, record.sourceTopic);
  const payload = parseJson(record.value);
  const messageId = z.uuid().safeParse((payload as { messageId?: unknown } | undefined)?.messageId);
  if (!service) return { why: `no service publishes ${record.sourceTopic}` };
  if (record.truncated)
    return { why: "its value was cut to fit the dead-letter topic: the original is not here to send" };
  if (payload === undefined) return { why: "its value is not JSON: it would fail again the same way" };
  if (!messageId.success || !record.key)
    return { why: "it has no messageId or no key: not one of the saga's messages" };
  const headers = { [REPLAY_COUNT_HEADER]: String(record.replays + 1), "replayed-from": `dead-letter ${id}` };
  return {
    service,
    entry: { messageId: messageId.data, topic: record.sourceTopic, key: record.key, payload, headers },
  };
}

function parseJson(value: string | null): unknown {
  try {
    return value === null ? undefined : JSON.parse(value);
  } catch {
    return undefined;
  }
}

export interface RefusedRow {
  service: ServiceName;
  id: string;
  topic: string;
  key: string;
  reason: string;
  refusedAt: Date;
}

/** What each service's relay set aside because the broker refused it (`outbox_refused`). */
export async function refusedMessages(databaseOf: (service: ServiceName) => string): Promise<RefusedRow[]> {
  const rows: RefusedRow[] = [];
  for (const service of Object.keys(FLOWS) as ServiceName[]) {
    const pool = openPool(databaseOf(service), "background", 1, toolLog);
    try {
      const found = await sqlOn(pool).rows<Omit<RefusedRow, "service">>(sql`
        SELECT "id"::text AS "id", "topic", "key", "reason", "refused_at" AS "refusedAt"
        FROM "outbox_refused" ORDER BY "refused_at"`);
      rows.push(...found.map((row) => ({ service, ...row })));
    } finally {
      await pool.end();
    }
  }
  return rows;
}
