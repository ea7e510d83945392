import { z } from "zod";
import { isoDate } from "./dates.js";
import { newId, uuid } from "./ids.js";

export const SCHEMA_VERSION = 1;

const envelope = {
  messageId: uuid,
  reservationId: uuid,
  version: z.literal(SCHEMA_VERSION, {
    error: `unsupported schema version, expected ${SCHEMA_VERSION}`,
  }),
  occurredAt: z.iso.datetime(),
};

export const roomReserveMessage = z.strictObject({
  ...envelope,
  type: z.literal("ROOM_RESERVE"),
  roomId: uuid,
  checkIn: isoDate,
  checkOut: isoDate,
});

export const roomCancelMessage = z.strictObject({
  ...envelope,
  type: z.literal("ROOM_CANCEL"),
  roomId: uuid,
  checkIn: isoDate,
  checkOut: isoDate,
});

export const FAILURE_REASONS = ["NO_AVAILABILITY", "ROOM_NOT_FOUND", "CANCELLED", "INVALID_STAY"] as const;
export const failureReason = z.enum(FAILURE_REASONS);

export const transactionResultMessage = z.discriminatedUnion("status", [
  z.strictObject({
    ...envelope,
    type: z.literal("TRANSACTION_RESULT"),
    status: z.literal("SUCCESS"),
  }),
  z.strictObject({
    ...envelope,
    type: z.literal("TRANSACTION_RESULT"),
    status: z.literal("FAILURE"),
    reason: failureReason,
  }),
  z.strictObject({
    ...envelope,
    type: z.literal("TRANSACTION_RESULT"),
    status: z.literal("CANCEL"),
  }),
]);

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
export type TransactionResultMessage = z.infer<typeof transactionResultMessage>;
export type FailureReason = z.infer<typeof failureReason>;
export type DeadLetterMessage = z.output<typeof deadLetterMessage>;

type Body<T> = T extends unknown ? Omit<T, "messageId" | "version" | "occurredAt" | "type"> : never;

function envelopeFields() {
  return {
    messageId: newId(),
    version: SCHEMA_VERSION,
    occurredAt: new Date().toISOString(),
  } as const;
}

export function newRoomReserve(body: Body<RoomReserveMessage>): RoomReserveMessage {
  return { ...envelopeFields(), type: "ROOM_RESERVE", ...body };
}

export function newRoomCancel(body: Body<RoomCancelMessage>): RoomCancelMessage {
  return { ...envelopeFields(), type: "ROOM_CANCEL", ...body };
}

export function newTransactionResult(body: Body<TransactionResultMessage>): TransactionResultMessage {
  return {
    ...envelopeFields(),
    type: "TRANSACTION_RESULT",
    ...body,
  } as TransactionResultMessage;
}
