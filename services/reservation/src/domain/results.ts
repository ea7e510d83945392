import type { PaymentResultMessage, TransactionResultMessage } from "@saga/contracts";
import { type Delivered, PermanentMessageError } from "@saga/platform/messaging";
import type { SqlTransaction } from "@saga/platform/sql";
import { isChangeReply, onChangePayment, onChangeReply } from "./change-saga.js";
import type { ReservationsDeps } from "./deps.js";
import { advance, type Progress, progressOf } from "./progress.js";
import * as queries from "./reservation-queries.js";
import { type Finished, onPaymentReply, onRoomReply, type SagaState, type Step } from "./saga.js";

type Reply = { messageId: string; reservationId: string };

/**
 * Applies a chunk of replies in order, inside the consumer's transaction, in two round trips
 * whatever the chunk's size: record the deliveries and lock every booking concerned, then write
 * every change, history entry and message owed. A redelivery changes nothing. Returns the bookings
 * it brought to a final state.
 */
async function applyReplies<M extends Reply>(
  deps: ReservationsDeps,
  tx: SqlTransaction,
  delivered: Delivered<M>[],
  decide: (state: SagaState, message: M, now: Date) => Step,
  cause: queries.HistoryCause,
): Promise<Finished[]> {
  if (delivered.length === 0) return [];
  const rows = await tx.rows<queries.DeliveryOrBooking>(queries.deliverAndLockBookings(delivered));
  const fresh = new Set(rows.filter((r) => r.kind === "delivery").map((r) => r.id));
  const bookings = new Map<string, Progress>();
  for (const row of rows) if (row.kind === "booking") bookings.set(row.id, progressOf(row));
  const owed = [];
  const now = new Date();
  for (const { message, context } of delivered) {
    // Not fresh: delivered before, or a second copy in this very chunk.
    if (!fresh.delete(message.messageId)) continue;
    const booking = bookings.get(message.reservationId);
    if (!booking) {
      const reason = `reservation ${message.reservationId} does not exist`;
      throw new PermanentMessageError(reason, { messageId: message.messageId });
    }
    const source = { messageId: message.messageId, traceId: context.traceId ?? null, trace: context.trace };
    owed.push(...advance(deps.topics, booking, decide(booking.state, message, now), source, now));
  }
  const touched = [...bookings.values()].filter((b) => b.touched);
  if (touched.length > 0) {
    await tx.rows(
      queries.writeUpdates(
        touched.map((b) => b.update),
        owed,
        cause,
        deps,
      ),
    );
  }
  return touched.flatMap((b) => (b.finished ? [b.finished] : []));
}

/** A room service reply: to a room-change, or to the booking's room-reserve and room-cancel. */
const onRoomResult = (state: SagaState, result: TransactionResultMessage, now: Date) =>
  isChangeReply(result) ? onChangeReply(state, result, now) : onRoomReply(state, result);

/** A payment service reply: to a date change's adjustment, or to the booking's charge and refund. */
const onPaymentResult = (state: SagaState, result: PaymentResultMessage, now: Date) =>
  state.status === "CHANGE_PENDING" ? onChangePayment(state, result, now) : onPaymentReply(state, result);

/** transaction-result: the room service took the nights (with their price), refused them, moved them, or gave them back. */
export const applyRoomReplies = (
  deps: ReservationsDeps,
  tx: SqlTransaction,
  delivered: Delivered<TransactionResultMessage>[],
) => applyReplies(deps, tx, delivered, onRoomResult, "transaction-result");

/** payment-result: the payment service charged, declined, refunded, or adjusted. */
export const applyPaymentReplies = (
  deps: ReservationsDeps,
  tx: SqlTransaction,
  delivered: Delivered<PaymentResultMessage>[],
) => applyReplies(deps, tx, delivered, onPaymentResult, "payment-result");
