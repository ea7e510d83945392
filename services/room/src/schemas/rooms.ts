import { dateRangeCheck, isoDate, storableText, uuid } from "@saga/contracts";
import { errorResponse } from "@saga/platform/http";
import { z } from "zod";

const MAX_AVAILABILITY_NIGHTS = 366;

export const roomIdParams = z.strictObject({ id: uuid });

export const newRoomBody = z
  .strictObject({
    name: storableText(200),
    units: z.number().int().min(1).max(10_000),
  })
  .meta({ examples: [{ name: "Sea view double", units: 2 }] });
export type NewRoom = z.output<typeof newRoomBody>;

export const room = z
  .object({
    id: z.uuid(),
    name: z.string(),
    units: z.number().int(),
  })
  .meta({ examples: [{ id: "5d9a3c27-6e1f-4b8d-a0c4-7f2e9b1d3c85", name: "Sea view double", units: 2 }] });

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
  entries: z.array(
    z.object({
      at: z.date(),
      event: z.enum(["TAKEN", "REFUSED", "RELEASED", "UNCHANGED"]),
      reason: z.string().nullable(),
      messageId: z.uuid(),
      /** The trace of the message, when tracing is on. */
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
  429: errorResponse,
  500: errorResponse,
  503: errorResponse,
};
