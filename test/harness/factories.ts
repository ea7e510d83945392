import { randomUUID } from "node:crypto";
import { formatDate } from "@saga/contracts";
import type { FastifyInstance } from "fastify";

let dayOffset = 0;

/** A stay far enough in the future and apart from other tests' stays; override any field. */
export function aStay(nights = 2, startInDays = 30 + (dayOffset++ % 300)) {
  const checkIn = new Date(Date.UTC(2030, 0, 1) + startInDays * 86_400_000);
  const checkOut = new Date(checkIn.getTime() + nights * 86_400_000);
  return { checkIn: formatDate(checkIn), checkOut: formatDate(checkOut) };
}

export function aBooking(
  overrides: Partial<{ roomId: string; guestName: string; checkIn: string; checkOut: string }> = {},
) {
  return { roomId: randomUUID(), guestName: "Ada Lovelace", ...aStay(), ...overrides };
}

export async function createRoom(room: FastifyInstance, overrides: Partial<{ name: string; units: number }> = {}) {
  const res = await room.inject({
    method: "POST",
    url: "/rooms",
    payload: { name: "Sea view double", units: 1, ...overrides },
  });
  if (res.statusCode !== 201) throw new Error(`room not created: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; name: string; units: number };
}
