import { eachNight, formatDate, newId } from "@saga/contracts";
import { AppError, notFound } from "@saga/platform/http";
import type { Sql } from "@saga/platform/sql";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { HoldHistory, NewRoom, Quote, RatesInput, Room } from "../schemas/rooms.js";
import { priceOf } from "./pricing.js";
import * as queries from "./room-queries.js";

export type Rooms = ReturnType<typeof createRooms>;

type RoomWithNights = Room & { nights: { date: string; taken: number; rate: number | null }[] };

/** A room and its nights in [from, to); 404 for an unknown room. */
async function roomAndNights(sql: Sql, roomId: string, from: string, to: string) {
  const [found] = await sql.rows<RoomWithNights>(queries.roomAndNights(roomId, from, to));
  if (!found) throw notFound(`room ${roomId}`);
  return { ...found, byDate: new Map(found.nights.map((night) => [night.date, night])) };
}

/** Room types, their rates, and what is free of them and at what price: the HTTP side of the room service. */
export function createRooms({ db, sql }: { db: PrismaClient; sql: Sql }) {
  return {
    async create(input: NewRoom): Promise<Room> {
      const [created] = await sql.rows<Room>(
        queries.insertRoom({
          id: newId(),
          name: input.name,
          units: input.units,
          currency: input.nightlyRate?.currency ?? null,
          nightlyRate: input.nightlyRate?.amount ?? null,
          payment: input.payment,
          ...input.cancellation,
        }),
      );
      return created as Room;
    },

    /** Sets the rate of each night in [from, to), in the room's currency (staff). */
    async setRates(roomId: string, { from, to, amount }: RatesInput) {
      const [result] = await sql.rows<{ found: boolean; currency: string | null; nights: number }>(
        queries.setRates(roomId, from, to, amount),
      );
      if (!result?.found) throw notFound(`room ${roomId}`);
      if (result.currency === null) {
        throw new AppError(
          409,
          "NO_RATE_PLAN",
          `room ${roomId} has no rate plan: it is paid at the hotel, with no price`,
        );
      }
      return { roomId, from, to, rate: { amount, currency: result.currency }, nights: result.nights };
    },

    /** What a stay would cost now, night by night, and whether every night has a unit left; nothing is held. */
    async quote(roomId: string, checkIn: string, checkOut: string): Promise<Quote> {
      const room = await roomAndNights(sql, roomId, checkIn, checkOut);
      const dates = eachNight(checkIn, checkOut);
      const plan = room.nightlyRate
        ? {
            currency: room.nightlyRate.currency,
            nightlyRate: room.nightlyRate.amount,
            payment: room.payment,
            cancellation: room.cancellation,
          }
        : undefined;
      const price = priceOf(plan, dates, (date) => room.byDate.get(date)?.rate ?? undefined);
      return {
        roomId,
        checkIn,
        checkOut,
        total: price ? { amount: price.total, currency: price.currency } : null,
        nights: dates.map((date, i) => ({ date, amount: price?.nights[i] ?? null })),
        payment: room.payment,
        cancellation: room.cancellation,
        available: dates.every((date) => (room.byDate.get(date)?.taken ?? 0) < room.units),
      };
    },

    /** The hold history of a reservation (404 when no message about it was applied). */
    async holdHistory(reservationId: string): Promise<HoldHistory> {
      const [entries, holds] = await Promise.all([
        db.holdHistory.findMany({ where: { reservationId }, orderBy: { id: "asc" } }),
        db.hold.findMany({ where: { reservationId }, orderBy: { roomId: "asc" } }),
      ]);
      if (entries.length === 0) throw notFound(`hold history of reservation ${reservationId}`);
      return {
        reservationId,
        rooms: holds.map(({ roomId, quantity, status, checkIn, checkOut }) => ({
          roomId,
          quantity,
          status,
          checkIn: formatDate(checkIn),
          checkOut: formatDate(checkOut),
        })),
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
      const room = await roomAndNights(sql, roomId, from, to);
      return {
        roomId,
        units: room.units,
        nights: eachNight(from, to).map((date) => ({
          date,
          available: room.units - (room.byDate.get(date)?.taken ?? 0),
        })),
      };
    },
  };
}
