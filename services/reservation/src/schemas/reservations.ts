import {
  dateRangeCheck,
  formatDate,
  futureCheckIn,
  isoDate,
  MAX_STAY_NIGHTS,
  storableText,
  uuid,
} from "@saga/contracts";
import { errorResponse } from "@saga/platform";
import { z } from "zod";

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

export const bookingHeaders = z.object({
  "idempotency-key": z.string().min(1).max(200).optional(),
});

const date = z.date().transform(formatDate);

export const reservation = z.object({
  id: z.uuid(),
  roomId: z.uuid(),
  guestName: z.string(),
  checkIn: date,
  checkOut: date,
  status: z.enum(["PENDING", "SUCCESS", "FAILURE", "CANCEL_PENDING", "CANCEL"]),
  reason: z.string().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
  completedAt: z.date().nullable(),
});

export const errors = {
  400: errorResponse,
  404: errorResponse,
  409: errorResponse,
  500: errorResponse,
  503: errorResponse,
};
