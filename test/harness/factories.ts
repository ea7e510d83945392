import { randomUUID } from "node:crypto";
import { formatDate } from "@saga/contracts";
import type { FastifyInstance } from "fastify";
import { asStaff } from "./tokens.js";

const DAY_MS = 86_400_000;
let dayOffset = 0;
/** Today's UTC date, at midnight: stays count from it, so they never fall into the past. */
const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;

/** A stay far enough in the future (a year or more from today) and apart from other tests' stays. */
export function aStay(nights = 2, startInDays = 400 + (dayOffset++ % 300)) {
  const checkIn = new Date(today + startInDays * DAY_MS);
  const checkOut = new Date(checkIn.getTime() + nights * DAY_MS);
  return { checkIn: formatDate(checkIn), checkOut: formatDate(checkOut) };
}

export function aBooking(
  overrides: Partial<{
    roomId: string;
    guestName: string;
    checkIn: string;
    checkOut: string;
    expectedTotal: { amount: number; currency: string };
  }> = {},
) {
  return { roomId: randomUUID(), guestName: "Ada Lovelace", ...aStay(), ...overrides };
}

/** A room's rate plan: a nightly rate, how it is paid, its cancellation policy. */
export interface RatePlan {
  nightlyRate?: { amount: number; currency: string };
  payment?: "AT_HOTEL" | "PREPAID";
  cancellation?: { freeUntilHours: number; penaltyNights: number };
}

/** A prepaid room's plan: `amount` EUR cents a night, free until 48 h before, then the first night kept. */
export const prepaid = (amount = 10_000): RatePlan => ({
  nightlyRate: { amount, currency: "EUR" },
  payment: "PREPAID",
  cancellation: { freeUntilHours: 48, penaltyNights: 1 },
});

/** Creates a room type as staff (with a rate plan when one is given). */
export async function createRoom(
  room: FastifyInstance,
  overrides: Partial<{ name: string; units: number }> & RatePlan = {},
) {
  const res = await room.inject({
    method: "POST",
    url: "/rooms",
    headers: asStaff(),
    payload: { name: "Sea view double", units: 1, ...overrides },
  });
  if (res.statusCode !== 201) throw new Error(`room not created: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; name: string; units: number };
}

/** Staff credit a guest's deposit; answers the new balance. */
export async function creditDeposit(payment: FastifyInstance, guestId: string, amount: number, currency = "EUR") {
  const res = await payment.inject({
    method: "POST",
    url: `/accounts/${encodeURIComponent(guestId)}/credits`,
    headers: asStaff(),
    payload: { amount, currency },
  });
  if (res.statusCode !== 201) throw new Error(`credit refused: ${res.statusCode} ${res.body}`);
  return (res.json() as { balance: { amount: number; currency: string } }).balance;
}
