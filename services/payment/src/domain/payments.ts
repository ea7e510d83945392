import { newPaymentResult, type PaymentRequestMessage, type Topics } from "@saga/contracts";
import type { Delivered, MessageContext, OutboxEntry } from "@saga/platform/messaging";
import type { SqlTransaction } from "@saga/platform/sql";
import { type Decision, type Deposits, decideAdjust, decideCharge, decideRefund } from "./decisions.js";
import { depositOf } from "./ledger.js";
import * as queries from "./payment-queries.js";

/** What a chunk did, for the service's metrics (counted once its transaction committed). */
export interface Outcome {
  status: Decision["reply"]["status"];
  reason?: string;
  currency?: string;
  charged?: number;
  refunded?: number;
}

/** Locks the deposits, records the deliveries, then reads what the new messages need: two round trips. */
async function read(tx: SqlTransaction, delivered: Delivered<PaymentRequestMessage>[]) {
  const depositIds = [...new Set(delivered.map(({ message: m }) => depositOf(m.guestId, m.currency)))];
  const rows = await tx.rows<{ kind: "delivery" | "deposit"; id: string }>(
    queries.deliverAndLockDeposits(delivered, depositIds),
  );
  const fresh = new Set(rows.filter((r) => r.kind === "delivery").map((r) => r.id));
  const messages = delivered.filter(({ message }) => fresh.delete(message.messageId));
  if (messages.length === 0) return undefined;
  const reservationIds = messages.map(({ message }) => message.reservationId);
  const guestIds = [...new Set(messages.map(({ message }) => message.guestId))];
  const found = await tx.rows<queries.PaymentOrDeposit>(queries.readPaymentsAndDeposits(reservationIds, guestIds));
  const payments = new Map<string, queries.PaymentRecord>();
  const deposits = new Map<string, Deposits>();
  for (const row of found) {
    if (row.kind === "payment") payments.set(row.reservationId, row);
    else deposits.set(row.guestId, (deposits.get(row.guestId) ?? new Map()).set(row.currency, row.balance));
  }
  return { messages, payments, deposits };
}

/** The reply a decision owes, carrying on the trace of the message it answers. */
function replyOf(
  topics: Topics,
  message: PaymentRequestMessage,
  decision: Decision,
  context: MessageContext,
): OutboxEntry {
  const result = newPaymentResult({ reservationId: message.reservationId, ...decision.reply });
  return {
    messageId: result.messageId,
    topic: topics.paymentResult,
    key: message.reservationId,
    payload: result,
    headers: context.trace,
  };
}

/**
 * payment-request, a chunk at a time, inside the consumer's transaction: charges and refunds in
 * order, each deciding on the deposits and payments read under the guests' locks, then every
 * movement, balance, payment and reply written in one statement. A redelivery changes nothing.
 */
async function apply(
  topics: Topics,
  tx: SqlTransaction,
  delivered: Delivered<PaymentRequestMessage>[],
): Promise<Outcome[]> {
  const state = await read(tx, delivered);
  if (!state) return [];
  const decisions: Decision[] = [];
  const replies: OutboxEntry[] = [];
  for (const { message, context } of state.messages) {
    const deposits = state.deposits.get(message.guestId) ?? new Map();
    state.deposits.set(message.guestId, deposits);
    const payment = state.payments.get(message.reservationId);
    const decision =
      message.type === "PAYMENT_CHARGE"
        ? decideCharge(message, payment, deposits)
        : message.type === "PAYMENT_REFUND"
          ? decideRefund(message, payment, deposits)
          : decideAdjust(message, payment, deposits);
    state.payments.set(message.reservationId, decision.payment);
    decisions.push(decision);
    replies.push(replyOf(topics, message, decision, context));
  }
  const touched = [...new Map(decisions.map((d) => [d.payment.reservationId, d.payment])).values()];
  const movements = decisions.flatMap((d) => (d.movement ? [d.movement] : []));
  await tx.run(queries.writeMovements(movements, touched, replies));
  return decisions.map(({ reply, movement }) => ({
    status: reply.status,
    reason: reply.status === "DECLINED" || reply.status === "ADJUST_DECLINED" ? reply.reason : undefined,
    currency: "currency" in reply ? reply.currency : undefined,
    charged: movement?.kind === "CHARGE" ? movement.amount : undefined,
    refunded: movement?.kind === "REFUND" ? movement.amount : undefined,
  }));
}

export type Payments = ReturnType<typeof createPayments>;

/** The payment service's side of the saga: charges and refunds asked for by the reservation service. */
export function createPayments({ topics }: { topics: Topics }) {
  return {
    apply: (tx: SqlTransaction, delivered: Delivered<PaymentRequestMessage>[]) => apply(topics, tx, delivered),
  };
}
