import type { Message } from "kafkajs";
import { isRefusal } from "../kafka/publisher.js";
import type { OutboxRow } from "./outbox.js";

export interface PublishSteps {
  /** Sends rows to Kafka in one request. */
  send(rows: OutboxRow[]): Promise<void>;
  /** These rows are acknowledged by Kafka. */
  sent(rows: OutboxRow[]): void;
  /** This row can never be published, for `reason`: set it aside. */
  refuse(row: OutboxRow, reason: string): Promise<void>;
}

export const asMessage = (row: OutboxRow): Message => ({
  key: row.key,
  value: row.payload,
  headers: { ...row.headers, "message-id": row.message_id },
});

function refusalReason(err: unknown, row: OutboxRow): string {
  const { type, message } = err as { type?: string; message?: string };
  return `${type ?? "REFUSED"}: ${message ?? String(err)} (topic ${row.topic}, ${Buffer.byteLength(row.payload)} bytes)`;
}

/**
 * Publishes rows in order. When Kafka refuses a request for what it holds (a message too large, an
 * invalid one), the rows are halved and each half published in turn, down to the one row that is
 * refused alone, which is set aside: the rows before and after it still go, in their order. Any
 * other error is thrown, for the relay to back off and try again; what was sent until then stays
 * acknowledged.
 */
export async function publishInOrder(rows: OutboxRow[], steps: PublishSteps): Promise<void> {
  if (rows.length === 0) return;
  try {
    await steps.send(rows);
    steps.sent(rows);
  } catch (err) {
    if (!isRefusal(err)) throw err;
    const [only] = rows;
    if (rows.length === 1 && only) return steps.refuse(only, refusalReason(err, only));
    const half = Math.ceil(rows.length / 2);
    await publishInOrder(rows.slice(0, half), steps);
    await publishInOrder(rows.slice(half), steps);
  }
}
