import type { DeclineReason, PaymentAdjustMessage, PaymentChargeMessage, PaymentRefundMessage } from "@saga/contracts";
import { PermanentMessageError } from "@saga/platform/messaging";
import { charge, type Movement, refund } from "./ledger.js";
import type { PaymentRecord } from "./payment-queries.js";

/** What a payment request did: the booking's payment after it, the money it moved, and the reply it owes. */
export interface Decision {
  payment: PaymentRecord;
  movement?: Movement;
  reply:
    | { status: "CHARGED"; amount: number; currency: string }
    | { status: "DECLINED"; reason: DeclineReason }
    | { status: "REFUNDED"; currency: string; refunded: number; kept: number }
    | { status: "ADJUSTED"; adjustId: string; currency: string; charged: number; refunded: number }
    | { status: "ADJUST_DECLINED"; adjustId: string; reason: DeclineReason };
}

/** A guest's deposits as read under their locks, by currency, changed as a chunk is worked out. */
export type Deposits = Map<string, number>;

/**
 * A request about a booking whose payment another guest or currency holds is not believed: the
 * payment is what this service did, so a message that disagrees with it, forged or garbled, is
 * set aside with the reason and moves no money.
 */
function checkAgainstPayment(
  m: PaymentChargeMessage | PaymentRefundMessage | PaymentAdjustMessage,
  payment: PaymentRecord | undefined,
): void {
  if (!payment || (payment.guestId === m.guestId && payment.currency === m.currency)) return;
  throw new PermanentMessageError(
    `${m.type} for reservation ${m.reservationId} names guest ${m.guestId} in ${m.currency}, ` +
      `but its payment (${payment.status}) is guest ${payment.guestId}'s in ${payment.currency}`,
    { messageId: m.messageId },
  );
}

/** The payment of a booking that nothing was ever charged for: declined, with why. */
const declinedPayment = (m: PaymentChargeMessage | PaymentAdjustMessage, reason: DeclineReason): PaymentRecord => ({
  reservationId: m.reservationId,
  guestId: m.guestId,
  currency: m.currency,
  status: "DECLINED",
  charged: 0,
  refunded: 0,
  declineReason: reason,
});

const declined = (m: PaymentChargeMessage, reason: DeclineReason, payment?: PaymentRecord): Decision => ({
  payment: payment ?? declinedPayment(m, reason),
  reply: { status: "DECLINED", reason },
});

/**
 * A charge: the guest's deposit in the booking's currency pays the total, or nothing moves (no
 * deposit, another currency only, not enough). A charge repeated answers as the first did; a
 * charge after the booking's refund (a cancel overtook it) takes nothing.
 */
export function decideCharge(
  m: PaymentChargeMessage,
  payment: PaymentRecord | undefined,
  deposits: Deposits,
): Decision {
  checkAgainstPayment(m, payment);
  if (payment?.status === "CHARGED") {
    if (payment.charged !== m.amount) {
      throw new PermanentMessageError(
        `PAYMENT_CHARGE of ${m.amount} for reservation ${m.reservationId}, charged ${payment.charged} already`,
        { messageId: m.messageId },
      );
    }
    return { payment, reply: { status: "CHARGED", amount: payment.charged, currency: payment.currency } };
  }
  if (payment?.status === "DECLINED")
    return declined(m, (payment.declineReason ?? "CANCELLED") as DeclineReason, payment);
  if (payment) return declined(m, "CANCELLED", payment);
  const balance = deposits.get(m.currency);
  if (balance === undefined) return declined(m, deposits.size > 0 ? "CURRENCY_MISMATCH" : "NO_ACCOUNT");
  if (balance < m.amount) return declined(m, "INSUFFICIENT_FUNDS");
  deposits.set(m.currency, balance - m.amount);
  return {
    payment: {
      reservationId: m.reservationId,
      guestId: m.guestId,
      currency: m.currency,
      status: "CHARGED",
      charged: m.amount,
      refunded: 0,
      declineReason: null,
    },
    movement: charge(m.guestId, m.currency, m.amount, m.reservationId),
    reply: { status: "CHARGED", amount: m.amount, currency: m.currency },
  };
}

/**
 * A refund: everything the booking was charged, net of what earlier adjustments gave back, but
 * `keep` goes back to the guest's deposit, once. A refund before any charge voids the payment, so a
 * charge that lands later takes nothing.
 */
export function decideRefund(
  m: PaymentRefundMessage,
  payment: PaymentRecord | undefined,
  deposits: Deposits,
): Decision {
  checkAgainstPayment(m, payment);
  const done = (p: PaymentRecord): Decision => ({
    payment: p,
    reply: { status: "REFUNDED", currency: p.currency, refunded: p.refunded, kept: p.charged - p.refunded },
  });
  if (!payment) {
    return done({
      reservationId: m.reservationId,
      guestId: m.guestId,
      currency: m.currency,
      status: "VOIDED",
      charged: 0,
      refunded: 0,
      declineReason: null,
    });
  }
  if (payment.status !== "CHARGED") return done(payment);
  const amount = Math.max(0, payment.charged - payment.refunded - m.keep);
  const after: PaymentRecord = { ...payment, status: "REFUNDED", refunded: payment.refunded + amount };
  if (amount === 0) return done(after);
  deposits.set(m.currency, (deposits.get(m.currency) ?? 0) + amount);
  return { ...done(after), movement: refund(m.guestId, m.currency, amount, m.reservationId, m.reason) };
}

/**
 * An adjustment of a charged booking (its dates changed): what it was charged, net of what was
 * given back, becomes `target`. More is charged from the deposit in its currency, or declined with
 * nothing moved; less is refunded to it. Nothing to do answers the same, so a repeat moves nothing.
 * A booking not charged (declined, voided, refunded on cancel) takes no adjustment.
 */
export function decideAdjust(
  m: PaymentAdjustMessage,
  payment: PaymentRecord | undefined,
  deposits: Deposits,
): Decision {
  checkAgainstPayment(m, payment);
  if (payment?.status !== "CHARGED") {
    const reason = (payment?.declineReason ?? "CANCELLED") as DeclineReason;
    return {
      payment: payment ?? declinedPayment(m, "CANCELLED"),
      reply: { status: "ADJUST_DECLINED", adjustId: m.adjustId, reason },
    };
  }
  const delta = m.target - (payment.charged - payment.refunded);
  const answer = (p: PaymentRecord) => ({
    status: "ADJUSTED" as const,
    adjustId: m.adjustId,
    currency: p.currency,
    charged: p.charged,
    refunded: p.refunded,
  });
  if (delta === 0) return { payment, reply: answer(payment) };
  if (delta < 0) {
    const after = { ...payment, refunded: payment.refunded - delta };
    deposits.set(m.currency, (deposits.get(m.currency) ?? 0) - delta);
    return {
      payment: after,
      movement: refund(m.guestId, m.currency, -delta, m.reservationId, "DATE_CHANGED"),
      reply: answer(after),
    };
  }
  const balance = deposits.get(m.currency);
  if (balance === undefined || balance < delta) {
    const reason =
      balance === undefined ? (deposits.size > 0 ? "CURRENCY_MISMATCH" : "NO_ACCOUNT") : "INSUFFICIENT_FUNDS";
    return { payment, reply: { status: "ADJUST_DECLINED", adjustId: m.adjustId, reason } };
  }
  deposits.set(m.currency, balance - delta);
  const after = { ...payment, charged: payment.charged + delta };
  return {
    payment: after,
    movement: charge(m.guestId, m.currency, delta, m.reservationId, "DATE_CHANGED"),
    reply: answer(after),
  };
}
