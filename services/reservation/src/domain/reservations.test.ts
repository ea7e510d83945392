import { randomUUID } from "node:crypto";
import { newTransactionResult, type TransactionResultMessage, topicNames } from "@saga/contracts";
import { PermanentMessageError } from "@saga/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asChunk, type DomainDatabase, domainDatabase } from "../../../../test/harness/domain.js";
import { applyResults } from "./reservations.js";

// The consumer hands the domain a chunk of replies in one transaction; these tests build the
// chunks themselves, so what a chunk holds (copies, contradicting replies, a poison) is certain.
describe("transaction-result, a chunk at a time", () => {
  const topic = topicNames("results-test.").transactionResult;
  let reservation: DomainDatabase;
  beforeAll(async () => {
    reservation = await domainDatabase("reservation");
  });
  afterAll(() => reservation?.close());

  const apply = (results: TransactionResultMessage[]) =>
    reservation.transactions.run((tx) => applyResults(tx, asChunk(topic, results)));

  async function pendingBooking(): Promise<string> {
    const id = randomUUID();
    await reservation.db.query(
      `INSERT INTO "reservations" ("id", "room_id", "guest_name", "check_in", "check_out", "deadline_at", "updated_at")
       VALUES ($1, gen_random_uuid(), 'Chunk test', '2031-03-01', '2031-03-03', now() + interval '1 hour', now())`,
      [id],
    );
    return id;
  }
  async function bookings(...ids: string[]) {
    const { rows } = await reservation.db.query<{
      id: string;
      status: string;
      reason: string | null;
      completed: boolean;
    }>(
      `SELECT "id"::text, "status"::text, "reason", "completed_at" IS NOT NULL AS "completed"
       FROM "reservations" WHERE "id" = ANY($1::uuid[])`,
      [ids],
    );
    return ids.map((id) => {
      const row = rows.find((r) => r.id === id);
      return row && { status: row.status, reason: row.reason, completed: row.completed };
    });
  }

  it("when one chunk holds replies for several bookings, a copy and a contradicting late reply, then each booking moves once, by its first reply", async () => {
    const [confirmed, refused] = [await pendingBooking(), await pendingBooking()];
    const success = newTransactionResult({ reservationId: confirmed, status: "SUCCESS" });
    const failure = newTransactionResult({ reservationId: refused, status: "FAILURE", reason: "NO_AVAILABILITY" });
    const contradiction = newTransactionResult({ reservationId: refused, status: "SUCCESS" });

    await apply([success, failure, success, contradiction]);

    expect(await bookings(confirmed, refused)).toEqual([
      { status: "SUCCESS", reason: null, completed: true },
      { status: "FAILURE", reason: "NO_AVAILABILITY", completed: true },
    ]);
    const { rows } = await reservation.db.query(`SELECT 1 FROM "inbox" WHERE "message_id" = ANY($1::uuid[])`, [
      [success.messageId, failure.messageId, contradiction.messageId],
    ]);
    expect(rows).toHaveLength(3);
  });

  it("when one chunk holds a reply about a booking that does not exist, then the chunk is refused as permanent and changes nothing", async () => {
    const pending = await pendingBooking();
    const good = newTransactionResult({ reservationId: pending, status: "SUCCESS" });
    const poison = newTransactionResult({ reservationId: randomUUID(), status: "SUCCESS" });

    await expect(apply([good, poison])).rejects.toBeInstanceOf(PermanentMessageError);

    expect(await bookings(pending)).toEqual([{ status: "PENDING", reason: null, completed: false }]);
    const { rows } = await reservation.db.query(`SELECT 1 FROM "inbox" WHERE "message_id" = $1`, [good.messageId]);
    expect(rows).toHaveLength(0);
  });
});
