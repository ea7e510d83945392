import {
  type CancellationPolicy,
  cancellationPolicy,
  isoDate,
  moneyOrZero,
  type PaymentMode,
  paymentMode,
} from "@saga/contracts";
import { AppError } from "@saga/platform/http";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { z } from "zod";

declare module "fastify" {
  interface FastifyInstance {
    /** What the room service says a stay costs and has left, read over its public HTTP API. */
    roomCatalog: RoomCatalog;
  }
}

/** A room's price for a stay at today's rates (null without a rate plan), and its units left each night. */
interface RoomOffer {
  total: { amount: number; currency: string } | null;
  nights: (number | null)[];
  payment: PaymentMode;
  cancellation: CancellationPolicy;
  /** Units left each night of the stay, by date. */
  left: Map<string, number>;
}

export interface RoomCatalog {
  offer(roomId: string, stay: { checkIn: string; checkOut: string }): Promise<RoomOffer>;
}

// Only what is read of the room service's answers: they may carry more.
const quoteAnswer = z.object({
  total: moneyOrZero.nullable(),
  nights: z.array(z.object({ date: isoDate, amount: z.number().int().nullable() })),
  payment: paymentMode,
  cancellation: cancellationPolicy,
});
const availabilityAnswer = z.object({
  nights: z.array(z.object({ date: isoDate, available: z.number().int() })),
});

const unavailable = (why: string) =>
  new AppError(503, "ROOM_SERVICE_UNAVAILABLE", `The room service could not price the stay: ${why}`);

/**
 * The room service's public quote and availability of a room, over HTTP with a deadline: a change
 * quote needs today's rates and units left, which only the room service knows. Any failure (down,
 * slow, an answer of another shape) is a 503 that says so; nothing is held by asking.
 */
export function httpRoomCatalog(baseUrl: string, timeoutMs: number): RoomCatalog {
  async function get<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(path, baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw unavailable((err as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : "unreachable");
    }
    if (!response.ok) throw unavailable(`it answered ${response.status} to ${path.split("?")[0]}`);
    const parsed = schema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw unavailable("its answer was not understood");
    return parsed.data;
  }
  return {
    async offer(roomId, { checkIn, checkOut }) {
      const id = encodeURIComponent(roomId);
      const [quote, availability] = await Promise.all([
        get(`/rooms/${id}/quote?checkIn=${checkIn}&checkOut=${checkOut}`, quoteAnswer),
        get(`/rooms/${id}/availability?from=${checkIn}&to=${checkOut}`, availabilityAnswer),
      ]);
      return {
        total: quote.total,
        nights: quote.nights.map((n) => n.amount),
        payment: quote.payment,
        cancellation: quote.cancellation,
        left: new Map(availability.nights.map((n) => [n.date, n.available])),
      };
    },
  };
}

export default fp(
  async (app: FastifyInstance) => {
    const { url, timeoutMs } = app.reservationConfig.saga.roomService;
    app.decorate("roomCatalog", httpRoomCatalog(url, timeoutMs));
  },
  { name: "room-catalog" },
);
