import type { TransactionResultMessage } from "@saga/contracts";
import { type Delivered, PermanentMessageError } from "@saga/platform/messaging";
import type { SqlTransaction } from "@saga/platform/sql";
import * as queries from "./reservation-queries.js";
import { type Finished, isFinal, nextState } from "./saga.js";

/**
 * transaction-result, inside the consumer's transaction: moves each booking along the saga, for a
 * chunk of replies in order, in two round trips whatever the chunk's size. A redelivery changes
 * nothing; a CANCEL also settles the room-cancel owed, even when it changes no status. Returns the
 * bookings it brought to a final state.
 */
export async function applyResults(
  tx: SqlTransaction,
  delivered: Delivered<TransactionResultMessage>[],
): Promise<Finished[]> {
  if (delivered.length === 0) return [];
  const rows = await tx.rows<queries.DeliveryOrBooking>(queries.deliverAndLockBookings(delivered));
  const fresh = new Set(rows.filter((r) => r.kind === "delivery").map((r) => r.id));
  const bookings = rows.filter((r) => r.kind === "booking");
  const status = new Map(bookings.map((r) => [r.id, r.status]));
  const createdAt = new Map(bookings.map((r) => [r.id, r.createdAt as Date]));
  const changed = new Map<string, queries.ResultUpdate>();
  const finished: Finished[] = [];
  const now = new Date();
  for (const { message: result, context } of delivered) {
    // Not fresh: delivered before, or a second copy in this very chunk.
    if (!fresh.delete(result.messageId)) continue;
    const current = status.get(result.reservationId);
    if (!current) {
      const reason = `reservation ${result.reservationId} does not exist`;
      throw new PermanentMessageError(reason, { messageId: result.messageId });
    }
    const next = nextState(current, result);
    const confirmsCancel = result.status === "CANCEL";
    if (!next && !confirmsCancel) continue;
    const earlier = changed.get(result.reservationId);
    if (next) status.set(result.reservationId, next.status);
    if (next && isFinal(next.status)) {
      const at = createdAt.get(result.reservationId) as Date;
      finished.push({
        status: next.status as Finished["status"],
        reason: next.reason,
        createdAt: at,
        completedAt: now,
      });
    }
    changed.set(result.reservationId, {
      id: result.reservationId,
      // PENDING to FAILURE and CANCEL_PENDING to CANCEL: no longer one of the guest's active bookings.
      leaves: (next !== null && next.status !== "SUCCESS") || earlier?.leaves === true,
      status: next?.status ?? earlier?.status ?? null,
      reason: next ? next.reason : (earlier?.reason ?? null),
      completedAt: next && isFinal(next.status) ? now : (earlier?.completedAt ?? null),
      confirmsCancel: confirmsCancel || earlier?.confirmsCancel === true,
      messageId: next ? result.messageId : (earlier?.messageId ?? result.messageId),
      traceId: next ? (context.traceId ?? null) : (earlier?.traceId ?? context.traceId ?? null),
    });
  }
  if (changed.size > 0) await tx.run(queries.writeResults([...changed.values()]));
  return finished;
}
