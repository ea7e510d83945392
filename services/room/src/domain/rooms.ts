import { eachNight, formatDate, newId, toUtcDate } from "@saga/contracts";
import { notFound } from "@saga/platform/http";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { HoldHistory, NewRoom } from "../schemas/rooms.js";

export type Rooms = ReturnType<typeof createRooms>;

/** Room types and what is free of them: admin and reads, through Prisma. */
export function createRooms({ db }: { db: PrismaClient }) {
  return {
    create: (input: NewRoom) =>
      db.room.create({
        data: { id: newId(), name: input.name, units: input.units },
        select: { id: true, name: true, units: true },
      }),

    /** The hold history of a reservation (404 when no message about it was applied). */
    async holdHistory(reservationId: string): Promise<HoldHistory> {
      const entries = await db.holdHistory.findMany({ where: { reservationId }, orderBy: { id: "asc" } });
      if (entries.length === 0) throw notFound(`hold history of reservation ${reservationId}`);
      return {
        reservationId,
        entries: entries.map(({ at, event, reason, messageId, traceId }) => ({
          at,
          event: event as HoldHistory["entries"][number]["event"],
          reason,
          messageId,
          traceId,
        })),
      };
    },

    /** Free units per night from `from` (inclusive) to `to` (exclusive). */
    async availability(roomId: string, from: string, to: string) {
      const room = await db.room.findUnique({ where: { id: roomId }, select: { units: true } });
      if (!room) throw notFound(`room ${roomId}`);
      const taken = await db.roomNight.findMany({
        where: { roomId, date: { gte: toUtcDate(from), lt: toUtcDate(to) } },
        select: { date: true, taken: true },
      });
      const takenByDate = new Map(taken.map((night) => [formatDate(night.date), night.taken]));
      return {
        roomId,
        units: room.units,
        nights: eachNight(from, to).map((date) => ({ date, available: room.units - (takenByDate.get(date) ?? 0) })),
      };
    },
  };
}
