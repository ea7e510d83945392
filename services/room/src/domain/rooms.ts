import { eachNight, formatDate, newId, toUtcDate } from "@saga/contracts";
import { notFound } from "@saga/platform";
import type { RoomDeps } from "./deps.js";

export interface NewRoom {
  name: string;
  units: number;
}

export async function createRoom({ db }: RoomDeps, input: NewRoom) {
  return db.room.create({
    data: { id: newId(), name: input.name, units: input.units },
    select: { id: true, name: true, units: true },
  });
}

/** Free units per night from `from` (inclusive) to `to` (exclusive). */
export async function getAvailability({ db }: RoomDeps, roomId: string, from: string, to: string) {
  const room = await db.room.findUnique({
    where: { id: roomId },
    select: { units: true },
  });
  if (!room) throw notFound(`room ${roomId}`);
  const taken = await db.roomNight.findMany({
    where: { roomId, date: { gte: toUtcDate(from), lt: toUtcDate(to) } },
    select: { date: true, taken: true },
  });
  const takenByDate = new Map(taken.map((night) => [formatDate(night.date), night.taken]));
  return {
    roomId,
    units: room.units,
    nights: eachNight(from, to).map((date) => ({
      date,
      available: room.units - (takenByDate.get(date) ?? 0),
    })),
  };
}
