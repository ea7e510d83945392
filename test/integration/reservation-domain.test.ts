import { randomUUID } from "node:crypto";
import {
  newPaymentResult,
  newTransactionResult,
  type PaymentResultMessage,
  type TransactionResultMessage,
  topicNames,
} from "@saga/contracts";
import { PermanentMessageError } from "@saga/platform/messaging";
import { openPool } from "@saga/platform/sql";
import {
  createPrisma,
  createReservations,
  httpRoomCatalog,
  type PrismaClient,
  type Reservations,
} from "@saga/reservation/domain";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asChunk, type DomainDatabase, domainDatabase } from "../harness/index.js";

// The consumer hands the domain a chunk of replies in one transaction; these tests build the
// chunks themselves, so what a chunk holds (copies, contradicting replies, a poison) is certain.
describe("transaction-result, a chunk at a time", () => {
  const topics = topicNames("results-test.");
  let reservation: DomainDatabase;
  let prisma: PrismaClient;
  let reservations: Reservations;
  beforeAll(async () => {
    reservation = await domainDatabase("reservation");
    prisma = createPrisma(openPool(reservation.url, "requests", 2, Fastify().log));
    // Re-sends of an unconfirmed cancel after 1 s, 2 s, 4 s, …, at most 5 s apart.
    const resend = { cancelResendMs: 1_000, cancelResendMaxMs: 5_000, paymentDeadlineMs: 30_000 };
    const caps = { maxActivePerGuest: 20, idempotencyKeyTtlMs: 86_400_000, multiRoomMessages: true, dateChanges: true };
    // No room service here: a change quote would answer 503.
    const roomCatalog = httpRoomCatalog("http://127.0.0.1:1", 100);
    reservations = createReservations({
      db: prisma,
      sql: reservation.sql,
      topics,
      sagaDeadlineMs: 30_000,
      ...resend,
      ...caps,
      roomCatalog,
    });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await reservation?.close();
  });

  const apply = (results: TransactionResultMessage[]) =>
    reservation.sql.transaction((tx) => reservations.applyRoomReplies(tx, asChunk(topics.transactionResult, results)));

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

  async function owing(id: string) {
    const { rows } = await reservation.db.query<{
      status: string;
      reason: string | null;
      owed: boolean;
      attempts: number;
    }>(
      `SELECT "status"::text, "reason", "cancel_due_at" IS NOT NULL AS "owed", "cancel_attempts" AS "attempts"
       FROM "reservations" WHERE "id" = $1`,
      [id],
    );
    return rows[0];
  }
  async function timedOutBooking(): Promise<string> {
    const id = await pendingBooking();
    await reservation.db.query(
      `UPDATE "reservations" SET "status" = 'FAILURE', "reason" = 'TIMEOUT', "completed_at" = now(),
              "cancel_due_at" = now() + interval '1 hour', "cancel_attempts" = 1 WHERE "id" = $1`,
      [id],
    );
    return id;
  }

  it("when the room service confirms the cancel of a booking that timed out, then the cancel is no longer owed and the booking stays FAILURE TIMEOUT", async () => {
    const id = await timedOutBooking();

    await apply([newTransactionResult({ reservationId: id, status: "CANCEL" })]);

    expect(await owing(id)).toEqual({ status: "FAILURE", reason: "TIMEOUT", owed: false, attempts: 1 });
  });

  it("when a cancel is not confirmed in time, then it is sent again, each time after twice as long, never longer apart than the bound", async () => {
    const id = await timedOutBooking();
    const intervals: number[] = [];
    for (let i = 0; i < 5; i++) {
      // Due a second ago: `now()` itself is stored to the millisecond (timestamptz(3)) and may round
      // up past the sweep's own `now()` a moment later, so the cancel would not be due yet.
      await reservation.db.query(
        `UPDATE "reservations" SET "cancel_due_at" = now() - interval '1 second' WHERE "id" = $1`,
        [id],
      );
      expect(await reservations.resend("cancel", 100)).toBeGreaterThanOrEqual(1);
      const { rows } = await reservation.db.query<{ ms: number }>(
        `SELECT (EXTRACT(EPOCH FROM "cancel_due_at" - "updated_at") * 1000)::int AS "ms" FROM "reservations" WHERE "id" = $1`,
        [id],
      );
      intervals.push(rows[0]?.ms ?? -1);
    }

    expect(intervals).toEqual([2_000, 4_000, 5_000, 5_000, 5_000]);
    const { rows: cancels } = await reservation.db.query(
      `SELECT 1 FROM "outbox" WHERE "topic" = $1 AND "payload"->>'reservationId' = $2`,
      [topics.roomCancel, id],
    );
    expect(cancels).toHaveLength(5);
    expect(await owing(id)).toMatchObject({ owed: true, attempts: 6 });
  });
});

// A date change's answers, applied a chunk at a time as the consumer would, in the orders Kafka
// may deliver them: an answer to another room-change than the one awaited (an earlier change's sent
// again, or the change's own once it was sent back) must move nothing.
describe("a date change's answers", () => {
  const topics = topicNames("change-answers-test.");
  let reservation: DomainDatabase;
  let prisma: PrismaClient;
  let reservations: Reservations;
  const staff = { id: "staff-of-the-tests", staff: true };
  beforeAll(async () => {
    reservation = await domainDatabase("reservation");
    prisma = createPrisma(openPool(reservation.url, "requests", 2, Fastify().log));
    reservations = createReservations({
      db: prisma,
      sql: reservation.sql,
      topics,
      sagaDeadlineMs: 30_000,
      paymentDeadlineMs: 30_000,
      cancelResendMs: 60_000,
      cancelResendMaxMs: 60_000,
      maxActivePerGuest: 20,
      idempotencyKeyTtlMs: 86_400_000,
      multiRoomMessages: true,
      dateChanges: true,
      // Not prepaid: a change needs no quote.
      roomCatalog: httpRoomCatalog("http://127.0.0.1:1", 100),
    });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await reservation?.close();
  });

  const old = { checkIn: "2031-03-01", checkOut: "2031-03-03" };
  const asked = { checkIn: "2031-03-02", checkOut: "2031-03-05" };
  const apply = (results: TransactionResultMessage[]) =>
    reservation.sql.transaction((tx) => reservations.applyRoomReplies(tx, asChunk(topics.transactionResult, results)));
  async function changing(): Promise<{ id: string; roomId: string; changeId: () => Promise<string> }> {
    const id = randomUUID();
    const roomId = randomUUID();
    await reservation.db.query(
      `INSERT INTO "reservations" ("id", "guest_id", "room_id", "guest_name", "check_in", "check_out", "deadline_at", "updated_at")
       VALUES ($1, 'ada', $2, 'Change test', $3, $4, now() + interval '1 hour', now())`,
      [id, roomId, old.checkIn, old.checkOut],
    );
    await apply([newTransactionResult({ reservationId: id, status: "SUCCESS" })]);
    const changeId = async () => {
      const { rows } = await reservation.db.query<{ changeId: string }>(
        `SELECT "payload"->>'changeId' AS "changeId" FROM "outbox" WHERE "topic" = $1 AND "payload"->>'reservationId' = $2
         ORDER BY "id" DESC LIMIT 1`,
        [topics.roomChange, id],
      );
      return rows[0]?.changeId as string;
    };
    return { id, roomId, changeId };
  }
  const booking = async (id: string) => {
    const { rows } = await reservation.db.query<{ status: string; stay: string; last: string | null }>(
      `SELECT "status"::text AS "status", to_char("check_in", 'YYYY-MM-DD') || '..' || to_char("check_out", 'YYYY-MM-DD') AS "stay",
              "last_change"->>'status' || ' ' || COALESCE("last_change"->>'reason', '') AS "last"
       FROM "reservations" WHERE "id" = $1`,
      [id],
    );
    return rows[0];
  };
  const stayText = (s: { checkIn: string; checkOut: string }) => `${s.checkIn}..${s.checkOut}`;

  it("when an answer names another room-change than the one awaited, then the change stays pending until its own answer comes", async () => {
    const { id, changeId } = await changing();
    await reservations.requestChange(staff, id, asked);
    const awaited = await changeId();

    // An earlier change's answer, sent again: the hold "already" at the old dates.
    await apply([
      newTransactionResult({ reservationId: id, status: "CHANGED", changeId: randomUUID(), ...old }),
      newTransactionResult({
        reservationId: id,
        status: "CHANGE_REFUSED",
        changeId: randomUUID(),
        reason: "NO_AVAILABILITY",
        ...old,
      }),
    ]);
    expect(await booking(id)).toEqual({ status: "CHANGE_PENDING", stay: stayText(old), last: null });

    await apply([newTransactionResult({ reservationId: id, status: "CHANGED", changeId: awaited, ...asked })]);
    expect(await booking(id)).toEqual({ status: "SUCCESS", stay: stayText(asked), last: "CHANGED " });
  });

  it("when a change was sent back and the change's own refusal comes late, then only the sending back's answer settles it", async () => {
    const { id, changeId } = await changing();
    await reservations.requestChange(staff, id, asked);
    const forward = await changeId();
    await reservation.db.query(
      `UPDATE "reservations" SET "deadline_at" = now() - interval '1 second' WHERE "id" = $1`,
      [id],
    );
    expect((await reservations.expireOverdue(10)).handled).toBe(1);
    const back = await changeId();
    expect(back).not.toBe(forward);

    // The change's own answer, refused: the booking waits for the sending back's, which follows.
    await apply([
      newTransactionResult({
        reservationId: id,
        status: "CHANGE_REFUSED",
        changeId: forward,
        reason: "NO_AVAILABILITY",
        ...old,
      }),
    ]);
    expect(await booking(id)).toMatchObject({ status: "CHANGE_PENDING" });
    await apply([newTransactionResult({ reservationId: id, status: "CHANGED", changeId: back, ...old })]);
    expect(await booking(id)).toEqual({ status: "SUCCESS", stay: stayText(old), last: "REFUSED TIMEOUT" });
  });

  it("when the difference of a prepaid change is declined, then the charge is brought back to what it was before the change ends, whatever a copy of the adjustment did", async () => {
    const id = randomUUID();
    const [changeId, adjustId] = [randomUUID(), randomUUID()];
    const price = {
      currency: "EUR",
      nights: [10_000, 10_000],
      total: 20_000,
      payment: "PREPAID",
      cancellation: { freeUntilHours: 48, penaltyNights: 1 },
    };
    const change = {
      ...asked,
      from: old,
      reverting: false,
      reason: null,
      phase: "CHARGING",
      changeId,
      adjustId,
      target: 30_000,
      expectedTotal: { amount: 30_000, currency: "EUR" },
      penalty: 0,
      net: 20_000,
    };
    await reservation.db.query(
      `INSERT INTO "reservations" ("id", "guest_id", "room_id", "guest_name", "check_in", "check_out", "status", "price",
                                   "charged", "change", "deadline_at", "updated_at")
       VALUES ($1, 'ada', gen_random_uuid(), 'Change test', $2, $3, 'CHANGE_PENDING', $4, 20000, $5,
               now() + interval '1 hour', now())`,
      [id, old.checkIn, old.checkOut, JSON.stringify(price), JSON.stringify(change)],
    );
    const pay = (results: PaymentResultMessage[]) =>
      reservation.sql.transaction((tx) => reservations.applyPaymentReplies(tx, asChunk(topics.paymentResult, results)));

    await pay([
      newPaymentResult({ reservationId: id, status: "ADJUST_DECLINED", adjustId, reason: "INSUFFICIENT_FUNDS" }),
    ]);

    // Not ended yet: an adjustment back to the 20 000 paid, which undoes any copy of the first that
    // charged after the decline (the deposit grew meanwhile), is owed first.
    expect(await booking(id)).toMatchObject({ status: "CHANGE_PENDING", stay: stayText(old) });
    const { rows } = await reservation.db.query<{ adjustId: string; target: number }>(
      `SELECT "payload"->>'adjustId' AS "adjustId", ("payload"->>'target')::int AS "target" FROM "outbox"
       WHERE "topic" = $1 AND "payload"->>'reservationId' = $2 ORDER BY "id" DESC LIMIT 1`,
      [topics.paymentRequest, id],
    );
    expect(rows[0]?.target).toBe(20_000);
    expect(rows[0]?.adjustId).not.toBe(adjustId);
    await pay([
      newPaymentResult({
        reservationId: id,
        status: "ADJUSTED",
        adjustId: rows[0]?.adjustId as string,
        currency: "EUR",
        charged: 30_000,
        refunded: 10_000,
      }),
    ]);
    expect(await booking(id)).toEqual({ status: "SUCCESS", stay: stayText(old), last: "REFUSED PAYMENT_DECLINED" });
  });
});
