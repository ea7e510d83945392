import {
  amount,
  cancellationPolicy,
  dateRangeCheck,
  futureCheckIn,
  isoDate,
  MAX_STAY_NIGHTS,
  money,
  paymentMode,
  roomLine,
  storableText,
  uuid,
} from "@saga/contracts";
import { errorResponse } from "@saga/platform/http";
import { z } from "zod";

const MAX_AVAILABILITY_NIGHTS = 366;

export const roomIdParams = z.strictObject({ id: uuid });

const NO_PENALTY = { freeUntilHours: 0, penaltyNights: 0 };

/**
 * A room type: its identical units and, optionally, its rate plan. Without `nightlyRate` the room is
 * paid at the hotel and has no price, as rooms had before prices existed; a prepaid room has one.
 */
export const newRoomBody = z
  .strictObject({
    name: storableText(200),
    units: z.number().int().min(1).max(10_000),
    nightlyRate: money.optional(),
    payment: paymentMode.default("AT_HOTEL"),
    cancellation: cancellationPolicy.default(NO_PENALTY),
  })
  .superRefine((room, ctx) => {
    if (room.payment === "PREPAID" && !room.nightlyRate) {
      ctx.addIssue({ code: "custom", path: ["nightlyRate"], message: "is required for a PREPAID room" });
    }
  })
  .meta({
    examples: [
      { name: "Sea view double", units: 2 },
      {
        name: "Garden suite",
        units: 3,
        nightlyRate: { amount: 18_000, currency: "EUR" },
        payment: "PREPAID",
        cancellation: { freeUntilHours: 48, penaltyNights: 1 },
      },
    ],
  });
export type NewRoom = z.output<typeof newRoomBody>;

export const room = z
  .object({
    id: z.uuid(),
    name: z.string(),
    units: z.number().int(),
    nightlyRate: money.nullable(),
    payment: paymentMode,
    cancellation: cancellationPolicy,
  })
  .meta({
    examples: [
      {
        id: "5d9a3c27-6e1f-4b8d-a0c4-7f2e9b1d3c85",
        name: "Garden suite",
        units: 3,
        nightlyRate: { amount: 18_000, currency: "EUR" },
        payment: "PREPAID",
        cancellation: { freeUntilHours: 48, penaltyNights: 1 },
      },
    ],
  });
export type Room = z.output<typeof room>;

/** The rate of each night in [from, to), in the room's currency. */
export const ratesBody = z
  .strictObject({ from: isoDate, to: isoDate, amount })
  .superRefine(
    ...dateRangeCheck("from", "to", MAX_AVAILABILITY_NIGHTS, `range must be at most ${MAX_AVAILABILITY_NIGHTS} nights`),
  )
  .meta({ examples: [{ from: "2027-07-01", to: "2027-09-01", amount: 24_000 }] });
export type RatesInput = z.output<typeof ratesBody>;

export const ratesSet = z.object({
  roomId: z.uuid(),
  from: isoDate,
  to: isoDate,
  rate: money,
  nights: z.number().int(),
});

export const quoteQuery = z
  .strictObject({ checkIn: futureCheckIn, checkOut: isoDate })
  .superRefine(
    ...dateRangeCheck("checkIn", "checkOut", MAX_STAY_NIGHTS, `a stay may last at most ${MAX_STAY_NIGHTS} nights`),
  );

/** What a stay would cost now, and whether every night has a unit left: nothing is held. */
export const quote = z
  .object({
    roomId: z.uuid(),
    checkIn: isoDate,
    checkOut: isoDate,
    total: money.nullable(),
    nights: z.array(z.object({ date: isoDate, amount: z.number().int().nullable() })),
    payment: paymentMode,
    cancellation: cancellationPolicy,
    available: z.boolean(),
  })
  .meta({
    examples: [
      {
        roomId: "5d9a3c27-6e1f-4b8d-a0c4-7f2e9b1d3c85",
        checkIn: "2027-04-10",
        checkOut: "2027-04-12",
        total: { amount: 36_000, currency: "EUR" },
        nights: [
          { date: "2027-04-10", amount: 18_000 },
          { date: "2027-04-11", amount: 18_000 },
        ],
        payment: "PREPAID",
        cancellation: { freeUntilHours: 48, penaltyNights: 1 },
        available: true,
      },
    ],
  });
export type Quote = z.output<typeof quote>;

export const availabilityQuery = z
  .strictObject({ from: isoDate, to: isoDate })
  .superRefine(
    ...dateRangeCheck("from", "to", MAX_AVAILABILITY_NIGHTS, `range must be at most ${MAX_AVAILABILITY_NIGHTS} nights`),
  );

export const availability = z
  .object({
    roomId: z.uuid(),
    units: z.number().int(),
    nights: z.array(z.object({ date: isoDate, available: z.number().int() })),
  })
  .meta({
    examples: [
      {
        roomId: "5d9a3c27-6e1f-4b8d-a0c4-7f2e9b1d3c85",
        units: 2,
        nights: [
          { date: "2027-04-10", available: 1 },
          { date: "2027-04-11", available: 1 },
          { date: "2027-04-12", available: 2 },
        ],
      },
    ],
  });

export const reservationIdParams = z.strictObject({ reservationId: uuid });

/** What the room service did with each message about one reservation's hold, oldest first. */
export const holdHistory = z.object({
  reservationId: z.uuid(),
  /** What it holds, or gave back, now: each room with its units and the stay (none when nothing was ever taken). */
  rooms: z.array(roomLine.extend({ status: z.enum(["HELD", "RELEASED"]), checkIn: isoDate, checkOut: isoDate })),
  entries: z.array(
    z.object({
      at: z.date(),
      event: z.enum(["TAKEN", "REFUSED", "RELEASED", "UNCHANGED", "CHANGED"]),
      reason: z.string().nullable(),
      messageId: z.uuid(),
      /** The trace the message carried (or one begun for it). */
      traceId: z.string().nullable(),
    }),
  ),
});
export type HoldHistory = z.output<typeof holdHistory>;

export const errors = {
  400: errorResponse,
  401: errorResponse,
  403: errorResponse,
  404: errorResponse,
  409: errorResponse,
  429: errorResponse,
  500: errorResponse,
  503: errorResponse,
};
