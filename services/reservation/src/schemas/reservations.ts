import {
  dateRangeCheck,
  futureCheckIn,
  guestId,
  isoDate,
  MAX_STAY_NIGHTS,
  money,
  moneyOrZero,
  paymentMode,
  roomLine,
  roomLines,
  storableText,
  uuid,
} from "@saga/contracts";
import { errorResponse } from "@saga/platform/http";
import { z } from "zod";
import { ReservationStatus } from "../generated/prisma/enums.js";

export const reservationIdParams = z.strictObject({ id: uuid });

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export const newReservationBody = z
  .strictObject({
    /** One unit of this room; or, instead, `rooms`. */
    roomId: uuid.optional(),
    /** Several rooms, or several units of one, for the same nights: every unit is taken, or none. */
    rooms: roomLines.optional(),
    guestName: storableText(200),
    checkIn: futureCheckIn,
    checkOut: isoDate,
    /** The total the guest was quoted (`GET /rooms/:id/quote`): if the price at the hold differs, the booking fails PRICE_CHANGED. */
    expectedTotal: money.optional(),
  })
  .superRefine(
    ...dateRangeCheck("checkIn", "checkOut", MAX_STAY_NIGHTS, `a stay may last at most ${MAX_STAY_NIGHTS} nights`),
  )
  // Checked even when other fields are wrong too, so that every fault is named at once.
  .refine((body) => body.roomId !== undefined || body.rooms !== undefined, {
    path: ["roomId"],
    message: "required (or rooms, for several rooms)",
    when: ({ value }) => isObject(value) && value.roomId === undefined && value.rooms === undefined,
  })
  .refine((body) => body.roomId === undefined || body.rooms === undefined, {
    path: ["rooms"],
    message: "give roomId or rooms, not both",
    when: ({ value }) => isObject(value) && value.roomId !== undefined && value.rooms !== undefined,
  })
  .meta({
    examples: [
      {
        roomId: "5d9a3c27-6e1f-4b8d-a0c4-7f2e9b1d3c85",
        guestName: "Ada Lovelace",
        checkIn: "2027-04-10",
        checkOut: "2027-04-12",
        expectedTotal: { amount: 36_000, currency: "EUR" },
      },
      {
        rooms: [
          { roomId: "5d9a3c27-6e1f-4b8d-a0c4-7f2e9b1d3c85", quantity: 2 },
          { roomId: "8e1b4f60-2c7d-4a93-b5e8-1f0a9c3d7b26", quantity: 1 },
        ],
        guestName: "Ada Lovelace",
        checkIn: "2027-04-10",
        checkOut: "2027-04-12",
      },
    ],
  });
export type NewReservation = z.output<typeof newReservationBody>;

export const bookingHeaders = z.object({
  "idempotency-key": z.string().min(1).max(200).optional(),
});

/** A stay's dates. */
export const stay = z.object({ checkIn: isoDate, checkOut: isoDate });

export const lastChange = z.object({
  status: z.enum(["CHANGED", "REFUSED"]),
  /**
   * Why the dates were kept (NO_AVAILABILITY, PRICE_CHANGED, INVALID_STAY, TIMEOUT, …), or why a
   * change went through other than at once (AFTER_DEADLINE: it was sent back, too late).
   */
  reason: z.string().nullable(),
  from: stay,
  to: stay,
  at: z.iso.datetime(),
});

/** New dates for a booking: the whole stay moves, in every room it holds. */
export const changeBody = z
  .strictObject({
    checkIn: futureCheckIn,
    checkOut: isoDate,
    /** The new total the guest was quoted (`GET /reservations/:id/change-quote`): if today's price differs, the dates stay (PRICE_CHANGED). */
    expectedTotal: money.optional(),
  })
  .superRefine(
    ...dateRangeCheck("checkIn", "checkOut", MAX_STAY_NIGHTS, `a stay may last at most ${MAX_STAY_NIGHTS} nights`),
  )
  .meta({ examples: [{ checkIn: "2027-04-11", checkOut: "2027-04-14" }] });
export type ChangeBody = z.output<typeof changeBody>;

export const changeQuoteQuery = z
  .strictObject({ checkIn: futureCheckIn, checkOut: isoDate })
  .superRefine(
    ...dateRangeCheck("checkIn", "checkOut", MAX_STAY_NIGHTS, `a stay may last at most ${MAX_STAY_NIGHTS} nights`),
  );

/** What moving a booking to other dates would do now; nothing is held by asking. */
export const changeQuote = z
  .object({
    reservationId: z.uuid(),
    checkIn: isoDate,
    checkOut: isoDate,
    /** Whether every unit of every room is free on every new night (the booking's own nights count as free to it). */
    available: z.boolean(),
    /** The new stay at today's rates, every room together (null for rooms without a rate plan). */
    newTotal: moneyOrZero.nullable(),
    /** newTotal less the booking's total: to pay when positive, given back when negative (prepaid bookings). */
    difference: z.object({ amount: z.number().int(), currency: z.string() }).nullable(),
    /** What a prepaid booking keeps when changed now, inside its cancellation policy's penalty window (what a cancel would keep). */
    penalty: moneyOrZero.nullable(),
  })
  .meta({
    examples: [
      {
        reservationId: "0b6f4d1e-8a53-4c1b-9a59-2d7c1f0e5a11",
        checkIn: "2027-04-11",
        checkOut: "2027-04-14",
        available: true,
        newTotal: { amount: 54_000, currency: "EUR" },
        difference: { amount: 18_000, currency: "EUR" },
        penalty: { amount: 0, currency: "EUR" },
      },
    ],
  });
export type ChangeQuote = z.output<typeof changeQuote>;

/** The statuses as the database's enum has them (one list, Prisma's). */
export const reservationStatus = z.enum(ReservationStatus);

/** A booking as the API answers it. */
export const reservation = z
  .object({
    id: z.uuid(),
    /** The guest who booked: the `sub` of their token (null for bookings older than guests' identity). */
    guestId: z.string().nullable(),
    /** The (first) room booked. */
    roomId: z.uuid(),
    /** Every room booked and how many of its units: one unit of `roomId` for a booking of one room. */
    rooms: z.array(roomLine),
    guestName: z.string(),
    checkIn: isoDate,
    checkOut: isoDate,
    status: reservationStatus,
    reason: z.string().nullable(),
    /** The price of the nights, once the room service took them (null for a room without a rate plan). */
    total: moneyOrZero.nullable(),
    payment: paymentMode.nullable(),
    /** After a cancel of a charged booking: what the payment service gave back, and what it kept. */
    refunded: moneyOrZero.nullable(),
    kept: moneyOrZero.nullable(),
    /** The dates a change under way (CHANGE_PENDING) moves the booking to; null when none is. */
    pendingChange: stay.nullable(),
    /** How the last date change ended: CHANGED (the dates above are its), or REFUSED with why and the dates kept. */
    lastChange: lastChange.nullable(),
    createdAt: z.date(),
    updatedAt: z.date(),
    completedAt: z.date().nullable(),
  })
  .meta({
    examples: [
      {
        id: "0b6f4d1e-8a53-4c1b-9a59-2d7c1f0e5a11",
        guestId: "ada",
        roomId: "5d9a3c27-6e1f-4b8d-a0c4-7f2e9b1d3c85",
        rooms: [{ roomId: "5d9a3c27-6e1f-4b8d-a0c4-7f2e9b1d3c85", quantity: 1 }],
        guestName: "Ada Lovelace",
        checkIn: "2027-04-10",
        checkOut: "2027-04-12",
        status: "SUCCESS",
        reason: null,
        total: { amount: 36_000, currency: "EUR" },
        payment: "PREPAID",
        refunded: null,
        kept: null,
        pendingChange: null,
        lastChange: null,
        createdAt: "2027-03-01T09:30:00.000Z",
        updatedAt: "2027-03-01T09:30:00.061Z",
        completedAt: "2027-03-01T09:30:00.061Z",
      },
    ],
  });
export type Booking = z.output<typeof reservation>;

/** Why a booking's state changed: who or what changed it. */
export const HISTORY_CAUSES = [
  "http",
  "transaction-result",
  "payment-result",
  "deadline",
  "cancel-resend",
  "refund-resend",
  "change-resend",
] as const;

/** One state change of a booking, in the order they happened. */
export const historyEntry = z.object({
  at: z.date(),
  status: reservationStatus,
  reason: z.string().nullable(),
  cause: z.enum(HISTORY_CAUSES),
  /** The room service's reply that made the change (cause `transaction-result`). */
  messageId: z.uuid().nullable(),
  /** The trace of the request or reply that made the change (the caller's, or one begun for it). */
  traceId: z.string().nullable(),
});
export const bookingHistory = z.object({
  reservationId: z.uuid(),
  /** Every room the booking names, with its units. */
  rooms: z.array(roomLine),
  entries: z.array(historyEntry),
});
export type BookingHistory = z.output<typeof bookingHistory>;

/** A page of bookings and the cursor of the next page (null after the last). */
export const reservationPage = z.object({ items: z.array(reservation), nextCursor: z.string().nullable() });

/**
 * Where a page ends, opaque to the client: the last booking's creation time and id (a guest's list,
 * newest first), or its check-in and id (the hotel's list, by check-in).
 */
export const cursor = z
  .string()
  .max(200)
  .transform((value, ctx) => {
    try {
      const parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as unknown[];
      if (parsed.length === 2) {
        const [createdAt, id] = parsed as [string, string];
        const at = new Date(createdAt);
        if (typeof id === "string" && z.uuid().safeParse(id).success && !Number.isNaN(at.getTime()))
          return { order: "created" as const, createdAt: at, id };
      } else if (parsed[0] === "checkIn" && parsed.length === 3) {
        const [, checkIn, id] = parsed as [string, string, string];
        if (z.uuid().safeParse(id).success && isoDate.safeParse(checkIn).success)
          return { order: "checkIn" as const, checkIn, id };
      }
    } catch {}
    ctx.addIssue({ code: "custom", message: "is not a cursor this API gave" });
    return z.NEVER;
  });
export type Cursor = z.output<typeof cursor>;
export const encodeCursor = (booking: Pick<Booking, "createdAt" | "id">) =>
  Buffer.from(JSON.stringify([booking.createdAt.toISOString(), booking.id])).toString("base64url");
export const encodeCheckInCursor = (booking: Pick<Booking, "checkIn" | "id">) =>
  Buffer.from(JSON.stringify(["checkIn", booking.checkIn, booking.id])).toString("base64url");

export const listQuery = z
  .strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    status: reservationStatus.optional(),
    /** Bookings of this room only (a booking of several rooms: when it is one of them). */
    roomId: uuid.optional(),
    /** Bookings whose check-in is on or after this date. */
    checkInFrom: isoDate.optional(),
    /** Bookings whose check-in is on or before this date. */
    checkInTo: isoDate.optional(),
    cursor: cursor.optional(),
    /** Staff only: another guest's bookings. */
    guestId: guestId.optional(),
  })
  .superRefine((query, ctx) => {
    if (query.checkInFrom && query.checkInTo && query.checkInTo < query.checkInFrom)
      ctx.addIssue({ code: "custom", path: ["checkInTo"], message: "must not be before checkInFrom" });
  });
export type ListQuery = z.output<typeof listQuery>;

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
