import { z } from "zod";
import { uuid } from "./ids.js";

/** The most rooms (entries of `rooms`) one booking names, and the most units of one room it takes. */
export const MAX_ROOMS_PER_BOOKING = 10;
export const MAX_UNITS_PER_ROOM = 10;

/** Units of one room type a booking takes for every night of its stay. */
export const roomLine = z.strictObject({
  roomId: uuid,
  quantity: z
    .int({ error: "must be a whole number of units" })
    .min(1, "must be at least 1")
    .max(MAX_UNITS_PER_ROOM, `must be at most ${MAX_UNITS_PER_ROOM}`),
});
export type RoomLine = z.infer<typeof roomLine>;

/** The rooms of one booking: each room once, with how many of its units. */
export const roomLines = z
  .array(roomLine)
  .min(1, "must name at least one room")
  .max(MAX_ROOMS_PER_BOOKING, `must name at most ${MAX_ROOMS_PER_BOOKING} rooms`)
  .superRefine((lines, ctx) => {
    const seen = new Set<string>();
    lines.forEach(({ roomId }, i) => {
      if (seen.has(roomId))
        ctx.addIssue({
          code: "custom",
          path: [i, "roomId"],
          message: "names a room already listed: give it one entry",
        });
      seen.add(roomId);
    });
  });

/** The rooms a stay names, whatever its shape: one unit of `roomId`, or its `rooms`. */
export const linesOf = (stay: { roomId: string } | { rooms: RoomLine[] }): RoomLine[] =>
  "rooms" in stay ? stay.rooms : [{ roomId: stay.roomId, quantity: 1 }];

/** One unit of one room: what every message version says, so old consumers read it too. */
export const isOneUnit = (lines: RoomLine[]): lines is [RoomLine] => lines.length === 1 && lines[0]?.quantity === 1;

/** Whether two lists name the same units of the same rooms, in any order. */
export function sameLines(a: RoomLine[], b: RoomLine[]): boolean {
  const units = new Map(a.map((l) => [l.roomId, l.quantity]));
  return a.length === b.length && b.every((l) => units.get(l.roomId) === l.quantity);
}

/**
 * The room a stay's messages are keyed and ordered by: its first. A stay without a room has no
 * key: every schema requires one, so this is a bug, said at once rather than keyed by "".
 */
export function firstRoomOf(stay: { roomId: string } | { rooms: RoomLine[] }): string {
  const first = "rooms" in stay ? stay.rooms[0]?.roomId : stay.roomId;
  if (!first) throw new Error("a stay names no room: it has no key to be ordered by");
  return first;
}
