// The saga's room messages as the previous release (ea6ff41, before bookings of several rooms) reads
// them, frozen here: what a consumer of that build still running during a rolling upgrade accepts.
// Its versions are these and no others; its payloads are strict, as ours are.
import { heldPrice, isoDate, money, uuid } from "@saga/contracts";
import { z } from "zod";

const envelope = <V extends number>(version: V) => ({
  messageId: uuid,
  reservationId: uuid,
  version: z.literal(version),
  occurredAt: z.iso.datetime(),
});
const reserve = { type: z.literal("ROOM_RESERVE"), roomId: uuid, checkIn: isoDate, checkOut: isoDate };
const REASONS_V1 = ["NO_AVAILABILITY", "ROOM_NOT_FOUND", "CANCELLED", "INVALID_STAY"] as const;
const result = <V extends number>(version: V) => ({ ...envelope(version), type: z.literal("TRANSACTION_RESULT") });

export const previousRelease = {
  roomReserve: z.discriminatedUnion("version", [
    z.strictObject({ ...envelope(1), ...reserve }),
    z.strictObject({ ...envelope(2), ...reserve, expectedTotal: money }),
  ]),
  roomCancel: z.strictObject({
    ...envelope(1),
    type: z.literal("ROOM_CANCEL"),
    roomId: uuid,
    checkIn: isoDate,
    checkOut: isoDate,
  }),
  transactionResult: z.union([
    z.strictObject({ ...result(1), status: z.literal("SUCCESS") }),
    z.strictObject({ ...result(1), status: z.literal("FAILURE"), reason: z.enum(REASONS_V1) }),
    z.strictObject({ ...result(1), status: z.literal("CANCEL") }),
    z.strictObject({ ...result(2), status: z.literal("SUCCESS"), price: heldPrice.optional() }),
    z.strictObject({ ...result(2), status: z.literal("FAILURE"), reason: z.enum([...REASONS_V1, "PRICE_CHANGED"]) }),
    z.strictObject({ ...result(2), status: z.literal("CANCEL") }),
  ]),
};
