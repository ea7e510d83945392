import { newRoomReserve, newTransactionResult } from "@saga/contracts";
import { RELAY_LOCK } from "@saga/platform/messaging";
import type { Query } from "@saga/platform/sql";
import * as reservation from "@saga/reservation/queries";
import * as room from "@saga/room/queries";
import { expr, pgbenchStatement } from "./pgbench-sql.js";

const statement = (query: Query) => `${pgbenchStatement(query)};`;

/** OUTBOX_BATCH_SIZE's default: the most rows one relay statement reads. */
const RELAY_LIMIT = 500;
const FIRST_NIGHT = "2027-01-01";

export interface Model {
  rooms: number;
  /** Messages per relay statement (the relay's mean batch). */
  relayBatch: number;
  /** Messages per consumer transaction (the consumer's chunk). */
  consumerChunk: number;
  /** Whether bookings carry an Idempotency-Key (one read before the booking). */
  idempotencyKey: boolean;
}

const items = (model: Model) => Array.from({ length: model.consumerChunk }, (_, i) => i + 1);
export const roomUuid = (n: string) => `('00000000-0000-4000-8000-' || lpad(${n}::text, 12, '0'))::uuid`;
const checkIn = (k: number) => `(DATE '${FIRST_NIGHT}' + :day${k}::int)`;
const checkOut = (k: number) => `(DATE '${FIRST_NIGHT}' + :day${k}::int + :nights${k}::int)`;
/** Payloads as long as the services' (their content does not change what the statements cost). */
const ids = { reservationId: "01a23300-0000-7000-8000-000000000000", roomId: "01a23300-0000-7000-8000-000000000001" };
const reservePayload = newRoomReserve({ ...ids, checkIn: FIRST_NIGHT, checkOut: "2027-01-03" });
const resultPayload = newTransactionResult({ reservationId: ids.reservationId, status: "SUCCESS" });

/**
 * A random stay for item k. Rooms are drawn from the k-th of `consumerChunk` bands, so a chunk's
 * rooms ascend (as the consumer sorts a chunk by room id before it locks them) and never repeat.
 */
function stay(model: Model, k: number): string {
  const band = Math.floor(model.rooms / model.consumerChunk);
  return `\\set room${k} random(${(k - 1) * band + 1}, ${k * band})
\\set day${k} random(0, 699)
\\set nights${k} random(1, 3)`;
}

/**
 * The relay, once per `relayBatch` messages. The relay's own statement deletes the rows the
 * previous statement read, which pgbench cannot chain; this one deletes the rows it reads (the same
 * index scan and deletes), under the relay's lock for the statement only, so that of the concurrent
 * pgbench clients one relays at a time, as one relay per database does. No Kafka send in between.
 */
function relay(model: Model, k: number): string {
  return `-- the outbox relay, once per ${model.relayBatch} message(s)
\\set roll${k} random(1, ${model.relayBatch})
\\if :roll${k} = 1
WITH "lock" AS (SELECT pg_try_advisory_xact_lock(${RELAY_LOCK}) AS "locked"), "batch" AS (SELECT "id", "message_id", "topic", "key", "payload"::text AS "payload" FROM "outbox" WHERE (SELECT "locked" FROM "lock") ORDER BY "id" LIMIT ${RELAY_LIMIT}), "deleted" AS (DELETE FROM "outbox" WHERE "id" = ANY(ARRAY(SELECT "id" FROM "batch"))) SELECT * FROM "batch";
\\endif`;
}

/** Prisma's read of an Idempotency-Key's earlier booking (findUnique), outside the transaction. */
const replay = (k: number) => `\\set key${k} random(1, 1000000000000000)
SELECT "id", "guest_id", "room_id", "guest_name", "check_in", "check_out", "status"::text, "reason", "idempotency_key", "request_hash", "deadline_at", "created_at", "updated_at", "completed_at", "cancel_due_at", "cancel_attempts" FROM "public"."reservations" WHERE "guest_id" = 'guest-' || :guest${k} AND "idempotency_key" = :key${k}::text LIMIT 1 OFFSET 0;
`;

/** The service's booking statement for item k, then the relay of its room-reserve. */
function book(model: Model, k: number): string {
  const roomId = expr(roomUuid(`:room${k}`));
  const row = {
    id: expr("gen_random_uuid()"),
    // A guest of many, whose active count the booking raises (the bench's cap is far away).
    guestId: expr(`'guest-' || :guest${k}`),
    maxActive: 1_000_000,
    roomId,
    guestName: "Ada Lovelace",
    checkIn: expr(checkIn(k)),
    checkOut: expr(checkOut(k)),
    idempotencyKey: model.idempotencyKey ? expr(`:key${k}::text`) : null,
    rooms: null,
    requestHash: "0123456789abcdef".repeat(4),
    deadlineMs: 30_000,
  };
  const entry = { messageId: expr("gen_random_uuid()"), topic: "room-reserve", key: roomId, payload: reservePayload };
  return `${stay(model, k)}
\\set guest${k} random(1, 100000)
${model.idempotencyKey ? replay(k) : ""}${pgbenchStatement(reservation.insertBooking(row, entry))} \\gset r${k}_
${relay(model, k)}`;
}

/** The reservation database's share of `consumerChunk` bookings: each booked and relayed, their results applied. */
export function reservationScript(model: Model): string {
  const delivered = items(model).map((k) => ({
    message: { messageId: expr(`:m${k}_id`), reservationId: expr(`:r${k}_id`) },
    context: { topic: "transaction-result", partition: 0, offset: "0" },
  }));
  const updates = items(model).map((k) => ({
    ...reservation.noUpdate(expr(`:r${k}_id`)),
    status: "SUCCESS" as const,
    completes: true,
    messageId: expr(`:m${k}_id`),
  }));
  return `-- ${model.consumerChunk} booking(s) on the reservation database, the service's own statements
-- (services/reservation/src/domain/reservation-queries.ts, services/platform/src/inbox.ts, outbox/outbox.ts).
${items(model)
  .map((k) => book(model, k))
  .join("\n")}
-- applyRoomReplies: one consumer transaction for ${model.consumerChunk} message(s), on its SUCCESS path (the
-- SELECTs of gen_random_uuid() only make up the replies' ids the service reads from Kafka)
${items(model)
  .map((k) => `SELECT gen_random_uuid()::text AS "id" \\gset m${k}_`)
  .join("\n")}
BEGIN;
${statement(reservation.deliverAndLockBookings(delivered))}
${statement(reservation.writeUpdates(updates, [], "transaction-result", { cancelResendMs: 10_000, paymentDeadlineMs: 30_000, sagaDeadlineMs: 30_000 }))}
COMMIT;
`;
}

/** The room database's share of `consumerChunk` bookings: nights taken, holds and replies written, the replies relayed. */
export function roomScript(model: Model): string {
  const ks = items(model);
  const reservationId = (k: number) => expr(`:m${k}_reservation_id::uuid`);
  const stays = ks.map((k) => ({
    reservationId: reservationId(k),
    roomId: expr(roomUuid(`:room${k}`)),
    quantity: 1,
    checkIn: expr(checkIn(k)),
    checkOut: expr(checkOut(k)),
  }));
  const delivered = stays.map((s) => ({
    message: { messageId: expr("gen_random_uuid()"), reservationId: s.reservationId },
    context: { topic: "room-reserve", partition: 0, offset: "0" },
  }));
  const nights = (part: (k: number) => string) => expr<string[]>(ks.map(part).join(" || "));
  const changed = {
    roomIds: nights((k) => `array_fill(${roomUuid(`:room${k}`)}, ARRAY[:nights${k}::int])`),
    dates: nights(
      (k) => `ARRAY(SELECT d::date FROM generate_series(${checkIn(k)}, ${checkOut(k)} - 1, interval '1 day') AS d)`,
    ),
    changes: expr<number[]>(ks.map((k) => `array_fill(1, ARRAY[:nights${k}::int])`).join(" || ")),
  };
  const replies = ks.map((k) => ({
    messageId: expr("gen_random_uuid()"),
    topic: "transaction-result",
    key: expr(`:m${k}_reservation_id`),
    payload: resultPayload,
  }));
  const events = ks.map((k) => ({
    reservationId: reservationId(k),
    event: "TAKEN" as const,
    reason: null,
    messageId: expr("gen_random_uuid()"),
    traceId: null,
  }));
  return `-- ${model.consumerChunk} booking(s) on the room database, the service's own statements
-- (services/room/src/domain/hold-queries.ts, services/platform/src/inbox.ts, outbox/outbox.ts), on
-- the SUCCESS path. The SELECTs of gen_random_uuid() only make up the ids the service reads from Kafka.
${ks.map((k) => `${stay(model, k)}\nSELECT gen_random_uuid()::text AS "reservation_id" \\gset m${k}_`).join("\n")}
-- reserve: one consumer transaction for ${model.consumerChunk} message(s)
BEGIN;
${statement(
  room.deliverAndLockRooms(
    delivered,
    stays.map((s) => s.roomId),
  ),
)}
${statement(
  room.readHoldsAndNights(
    stays.map((s) => s.reservationId),
    stays,
  ),
)}
${statement(room.takeNights(changed, stays))}
${statement(room.replyAndRecord(replies, events))}
COMMIT;
${ks.map((k) => relay(model, k)).join("\n")}
`;
}
