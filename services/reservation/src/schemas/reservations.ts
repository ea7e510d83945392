import { dateRangeCheck, futureCheckIn, isoDate, MAX_STAY_NIGHTS, storableText, uuid } from "@saga/contracts";
import { errorResponse } from "@saga/platform";
import { z } from "zod";
import { ReservationStatus } from "../generated/prisma/enums.js";

export const reservationIdParams = z.strictObject({ id: uuid });

export const newReservationBody = z
  .strictObject({
    roomId: uuid,
    guestName: storableText(200),
    checkIn: futureCheckIn,
    checkOut: isoDate,
  })
  .superRefine(
    ...dateRangeCheck("checkIn", "checkOut", MAX_STAY_NIGHTS, `a stay may last at most ${MAX_STAY_NIGHTS} nights`),
  );
export type NewReservation = z.output<typeof newReservationBody>;

export const bookingHeaders = z.object({
  "idempotency-key": z.string().min(1).max(200).optional(),
});

/** The statuses as the database's enum has them (one list, Prisma's). */
export const reservationStatus = z.enum(ReservationStatus);

/** A booking as the API answers it. */
export const reservation = z.object({
  id: z.uuid(),
  roomId: z.uuid(),
  guestName: z.string(),
  checkIn: isoDate,
  checkOut: isoDate,
  status: reservationStatus,
  reason: z.string().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
  completedAt: z.date().nullable(),
});
export type Booking = z.output<typeof reservation>;

export const errors = {
  400: errorResponse,
  404: errorResponse,
  409: errorResponse,
  500: errorResponse,
  503: errorResponse,
};
