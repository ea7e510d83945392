import { z } from "zod";
import { isoDate } from "./dates.js";
import { guestId, newId, uuid } from "./ids.js";
import { amount, amountOrZero, cancellationPolicy, currency, type Money, money, paymentMode } from "./money.js";
import { isOneUnit, linesOf, roomLines } from "./rooms.js";

/**
 * Each saga payload carries its `version`. A change that consumers of an older build cannot read (a
 * new field, a new value: payloads are strict) is a new version of that message; consumers read
 * every version they know, and a producer writes the lowest version that can carry what it sends,
 * so a message that needs nothing new is read by old and new consumers alike.
 */
const envelope = <V extends number>(version: V) => ({
  messageId: uuid,
  reservationId: uuid,
  version: z.literal(version),
  occurredAt: z.iso.datetime(),
});

/** The versions of one message a consumer reads, told apart by `version`; any other is refused by name. */
function versions<const T extends readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]]>(
  ...schemas: T
) {
  const known = schemas.map((_, i) => i + 1).join(" or ");
  return z.discriminatedUnion("version", schemas, {
    error: (issue) => {
      if (issue.code !== "invalid_union" || !("discriminator" in issue) || issue.discriminator !== "version") return;
      const given = (issue.input as { version?: unknown } | undefined)?.version;
      return given === undefined ? `required, expected ${known}` : `unsupported schema version, expected ${known}`;
    },
  });
}

const stay = { checkIn: isoDate, checkOut: isoDate };
const reserve = { type: z.literal("ROOM_RESERVE"), roomId: uuid, ...stay };
/** The total the guest was quoted: if the price at the hold differs, nothing is taken (PRICE_CHANGED). */
const expectedTotal = money;

export const roomReserveMessage = versions(
  z.strictObject({ ...envelope(1), ...reserve }),
  z.strictObject({ ...envelope(2), ...reserve, expectedTotal }),
  /** Several rooms, or several units of one: every unit of every night, or nothing. */
  z.strictObject({
    ...envelope(3),
    type: z.literal("ROOM_RESERVE"),
    rooms: roomLines,
    ...stay,
    expectedTotal: expectedTotal.optional(),
  }),
);

const cancel = { type: z.literal("ROOM_CANCEL"), ...stay };

export const roomCancelMessage = versions(
  z.strictObject({ ...envelope(1), ...cancel, roomId: uuid }),
  z.strictObject({ ...envelope(2), ...cancel, rooms: roomLines }),
);

/**
 * Moves a held booking to other dates: the nights of `to` it does not hold yet are taken and those
 * of `from` it no longer needs given back, in every room it holds, all at once or not at all, at
 * today's rates. Answered CHANGED (with the new price) or CHANGE_REFUSED on transaction-result.
 */
export const roomChangeMessage = versions(
  z.strictObject({
    ...envelope(1),
    type: z.literal("ROOM_CHANGE"),
    /**
     * Which change this is (the change, or the same sent back past its deadline, has its own): sent
     * again with the same id, and named in the answer, so the answer to a change is never taken for
     * the answer to another.
     */
    changeId: uuid,
    rooms: roomLines,
    from: z.strictObject(stay),
    to: z.strictObject(stay),
    /** The new total the guest was quoted: if today's price differs, nothing changes (PRICE_CHANGED). */
    expectedTotal: expectedTotal.optional(),
  }),
);

const FAILURE_REASONS_V1 = ["NO_AVAILABILITY", "ROOM_NOT_FOUND", "CANCELLED", "INVALID_STAY"] as const;
const FAILURE_REASONS_V2 = [...FAILURE_REASONS_V1, "PRICE_CHANGED"] as const;
/**
 * MIXED_TERMS: the rooms of one booking differ in currency, in how they are paid, or in cancellation
 * policy. TOTAL_TOO_LARGE: the stay would cost more than one amount may hold (MAX_AMOUNT).
 */
export const FAILURE_REASONS = [...FAILURE_REASONS_V2, "MIXED_TERMS", "TOTAL_TOO_LARGE"] as const;
export const failureReason = z.enum(FAILURE_REASONS);

/** Why a change moved nothing: NOT_HELD, the booking holds no nights (cancelled, or never held). */
export const CHANGE_REFUSALS = [
  "NO_AVAILABILITY",
  "INVALID_STAY",
  "PRICE_CHANGED",
  "MIXED_TERMS",
  "TOTAL_TOO_LARGE",
  "NOT_HELD",
] as const;
export const changeRefusal = z.enum(CHANGE_REFUSALS);

/**
 * The price of the nights taken, fixed when they were taken (under the room's lock, in the same
 * transaction): each night's amount in order, their total, how the room is paid and its
 * cancellation policy. Absent for a room without a rate plan (paid at the hotel, no price).
 */
export const heldPrice = z.strictObject({
  currency,
  nights: z.array(amountOrZero).min(1),
  total: amountOrZero,
  payment: paymentMode,
  cancellation: cancellationPolicy,
});
export type HeldPrice = z.infer<typeof heldPrice>;

const result = <V extends number>(version: V) => ({ ...envelope(version), type: z.literal("TRANSACTION_RESULT") });

export const transactionResultMessage = versions(
  z.discriminatedUnion("status", [
    z.strictObject({ ...result(1), status: z.literal("SUCCESS") }),
    z.strictObject({ ...result(1), status: z.literal("FAILURE"), reason: z.enum(FAILURE_REASONS_V1) }),
    z.strictObject({ ...result(1), status: z.literal("CANCEL") }),
  ]),
  z.discriminatedUnion("status", [
    z.strictObject({ ...result(2), status: z.literal("SUCCESS"), price: heldPrice.optional() }),
    z.strictObject({ ...result(2), status: z.literal("FAILURE"), reason: z.enum(FAILURE_REASONS_V2) }),
    z.strictObject({ ...result(2), status: z.literal("CANCEL") }),
  ]),
  z.discriminatedUnion("status", [
    z.strictObject({ ...result(3), status: z.literal("SUCCESS"), price: heldPrice.optional() }),
    z.strictObject({ ...result(3), status: z.literal("FAILURE"), reason: failureReason }),
    z.strictObject({ ...result(3), status: z.literal("CANCEL") }),
  ]),
  z.discriminatedUnion("status", [
    z.strictObject({ ...result(4), status: z.literal("SUCCESS"), price: heldPrice.optional() }),
    z.strictObject({ ...result(4), status: z.literal("FAILURE"), reason: failureReason }),
    z.strictObject({ ...result(4), status: z.literal("CANCEL") }),
    /**
     * The booking's hold is at these dates now (the change's `to`; a change that finds it there
     * already answers so too), and its price at them (absent without a rate plan).
     */
    z.strictObject({
      ...result(4),
      status: z.literal("CHANGED"),
      changeId: uuid,
      ...stay,
      price: heldPrice.optional(),
    }),
    /**
     * Nothing moved: the hold keeps its dates (named here, with its price, so that an answer says
     * where the hold is whichever change it answers; absent for NOT_HELD) and its nights.
     */
    z.strictObject({
      ...result(4),
      status: z.literal("CHANGE_REFUSED"),
      changeId: uuid,
      reason: changeRefusal,
      checkIn: isoDate.optional(),
      checkOut: isoDate.optional(),
      price: heldPrice.optional(),
    }),
  ]),
);

/** Asks the payment service to charge a guest's deposit the total of a booking whose nights are taken. */
export const paymentChargeMessage = z.strictObject({
  ...envelope(1),
  type: z.literal("PAYMENT_CHARGE"),
  guestId,
  amount,
  currency,
});

/**
 * Asks the payment service to give back what a booking was charged, but `keep` (a penalty): after a
 * guest's cancel, or when the booking failed after its charge was asked for. It settles whatever
 * was charged, whenever the charge came or comes: a charge that lands after it is refused.
 */
export const paymentRefundMessage = z.strictObject({
  ...envelope(1),
  type: z.literal("PAYMENT_REFUND"),
  guestId,
  currency,
  keep: amountOrZero,
  reason: z.enum(["CANCELLED", "BOOKING_FAILED"]),
});

/**
 * Asks the payment service to bring what a booking was charged, net of what was given back, to
 * `target`: the difference is charged from the guest's deposit (or declined, nothing moved) or
 * refunded to it. A date change of a prepaid booking sends it; the same target again moves nothing.
 */
export const paymentAdjustMessage = z.strictObject({
  ...envelope(2),
  type: z.literal("PAYMENT_ADJUST"),
  /** Which adjustment this is: sent again with the same id, and named in its answer. */
  adjustId: uuid,
  guestId,
  currency,
  target: amountOrZero,
});

export const paymentRequestMessage = versions(
  z.discriminatedUnion("type", [paymentChargeMessage, paymentRefundMessage]),
  paymentAdjustMessage,
);

export const DECLINE_REASONS = ["NO_ACCOUNT", "INSUFFICIENT_FUNDS", "CURRENCY_MISMATCH", "CANCELLED"] as const;
export const declineReason = z.enum(DECLINE_REASONS);

const paid = { ...envelope(1), type: z.literal("PAYMENT_RESULT") };
const paid2 = { ...envelope(2), type: z.literal("PAYMENT_RESULT") };

export const paymentResultMessage = versions(
  z.discriminatedUnion("status", [
    z.strictObject({ ...paid, status: z.literal("CHARGED"), amount, currency }),
    z.strictObject({ ...paid, status: z.literal("DECLINED"), reason: declineReason }),
    z.strictObject({ ...paid, status: z.literal("REFUNDED"), currency, refunded: amountOrZero, kept: amountOrZero }),
  ]),
  z.discriminatedUnion("status", [
    /** An adjustment made (or found made): what the booking was charged and refunded in all, after it. */
    z.strictObject({
      ...paid2,
      status: z.literal("ADJUSTED"),
      adjustId: uuid,
      currency,
      charged: amountOrZero,
      refunded: amountOrZero,
    }),
    /** An adjustment that would charge more than the deposit holds (or of a booking not charged): nothing moved. */
    z.strictObject({ ...paid2, status: z.literal("ADJUST_DECLINED"), adjustId: uuid, reason: declineReason }),
  ]),
);

/**
 * A record of the dead-letter topic: what could never be applied, and why. The value is cut to a
 * size the broker takes (`truncated`), with the original's size and SHA-256. Letters written before
 * replays existed have no `replays`.
 */
export const deadLetterMessage = z.object({
  service: z.string(),
  sourceTopic: z.string(),
  partition: z.number(),
  offset: z.string(),
  key: z.string().nullable(),
  value: z.string().nullable(),
  valueBytes: z.number(),
  valueSha256: z.string().nullable(),
  truncated: z.boolean(),
  reason: z.string(),
  failedAt: z.string(),
  /** How many times it had been replayed when it failed (again). */
  replays: z.number().default(0),
});

export type RoomReserveMessage = z.infer<typeof roomReserveMessage>;
export type RoomCancelMessage = z.infer<typeof roomCancelMessage>;
export type RoomChangeMessage = z.infer<typeof roomChangeMessage>;
export type ChangeRefusal = z.infer<typeof changeRefusal>;
export type TransactionResultMessage = z.infer<typeof transactionResultMessage>;
export type FailureReason = z.infer<typeof failureReason>;
export type PaymentChargeMessage = z.infer<typeof paymentChargeMessage>;
export type PaymentRefundMessage = z.infer<typeof paymentRefundMessage>;
export type PaymentAdjustMessage = z.infer<typeof paymentAdjustMessage>;
export type PaymentRequestMessage = z.infer<typeof paymentRequestMessage>;
export type PaymentResultMessage = z.infer<typeof paymentResultMessage>;
export type DeclineReason = z.infer<typeof declineReason>;
export type DeadLetterMessage = z.output<typeof deadLetterMessage>;

type Body<T> = T extends unknown ? Omit<T, "messageId" | "version" | "occurredAt" | "type"> : never;

function envelopeFields<V extends number>(version: V) {
  return { messageId: newId(), version, occurredAt: new Date().toISOString() } as const;
}

/** A stay as a producer states it: one room (`roomId`, one unit) or its `rooms`, as room-cancel's versions do. */
type StayBody = Body<RoomCancelMessage>;

/**
 * A room-reserve, in the lowest version that carries it: 3 only for more than one unit, else 2
 * only when it names an expected total.
 */
export function newRoomReserve(body: StayBody & { expectedTotal?: Money }): RoomReserveMessage {
  const { reservationId, checkIn, checkOut, expectedTotal } = body;
  const lines = linesOf(body);
  const total = expectedTotal ? { expectedTotal } : {};
  const head = { type: "ROOM_RESERVE", reservationId } as const;
  if (!isOneUnit(lines)) return { ...envelopeFields(3), ...head, rooms: lines, checkIn, checkOut, ...total };
  const { roomId } = lines[0];
  if (expectedTotal) return { ...envelopeFields(2), ...head, roomId, checkIn, checkOut, expectedTotal };
  return { ...envelopeFields(1), ...head, roomId, checkIn, checkOut };
}

/** A room-cancel, in the lowest version that carries it: 2 only for more than one unit. */
export function newRoomCancel(body: StayBody): RoomCancelMessage {
  const { reservationId, checkIn, checkOut } = body;
  const lines = linesOf(body);
  const head = { type: "ROOM_CANCEL", reservationId } as const;
  if (!isOneUnit(lines)) return { ...envelopeFields(2), ...head, rooms: lines, checkIn, checkOut };
  return { ...envelopeFields(1), ...head, roomId: lines[0].roomId, checkIn, checkOut };
}

export function newRoomChange(body: Body<RoomChangeMessage>): RoomChangeMessage {
  return { ...envelopeFields(1), type: "ROOM_CHANGE", ...body };
}

const isIn = (reasons: readonly string[], reason: string) => reasons.includes(reason);

/**
 * A room service reply, in the lowest version that carries it: 4 only for a change's answer, 3
 * only for a reason of version 3, 2 only with a price or a reason of version 2.
 */
export function newTransactionResult(body: Body<TransactionResultMessage>): TransactionResultMessage {
  const reason = body.status === "FAILURE" ? body.reason : undefined;
  const head = { type: "TRANSACTION_RESULT" } as const;
  if (body.status === "CHANGED" || body.status === "CHANGE_REFUSED")
    return { ...envelopeFields(4), ...head, ...body } as TransactionResultMessage;
  if (reason && !isIn(FAILURE_REASONS_V2, reason))
    return { ...envelopeFields(3), ...head, ...body } as TransactionResultMessage;
  const needsV2 =
    (body.status === "SUCCESS" && "price" in body && body.price !== undefined) ||
    (reason !== undefined && !isIn(FAILURE_REASONS_V1, reason));
  if (needsV2) return { ...envelopeFields(2), ...head, ...body } as TransactionResultMessage;
  const { price: _, ...rest } = body as Body<TransactionResultMessage> & { price?: unknown };
  return { ...envelopeFields(1), ...head, ...rest } as TransactionResultMessage;
}

export function newPaymentCharge(body: Body<PaymentChargeMessage>): PaymentChargeMessage {
  return { ...envelopeFields(1), type: "PAYMENT_CHARGE", ...body };
}

export function newPaymentRefund(body: Body<PaymentRefundMessage>): PaymentRefundMessage {
  return { ...envelopeFields(1), type: "PAYMENT_REFUND", ...body };
}

export function newPaymentAdjust(body: Body<PaymentAdjustMessage>): PaymentAdjustMessage {
  return { ...envelopeFields(2), type: "PAYMENT_ADJUST", ...body };
}

/** A payment service reply, in the lowest version that carries it: 2 only for an adjustment's answer. */
export function newPaymentResult(body: Body<PaymentResultMessage>): PaymentResultMessage {
  const version = body.status === "ADJUSTED" || body.status === "ADJUST_DECLINED" ? 2 : 1;
  return { ...envelopeFields(version), type: "PAYMENT_RESULT", ...body } as PaymentResultMessage;
}
