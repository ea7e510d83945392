import { bearerSecurity, type Principal } from "@saga/platform/http";
import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  bookingHeaders,
  bookingHistory,
  changeBody,
  changeQuote,
  changeQuoteQuery,
  errors,
  listQuery,
  newReservationBody,
  reservation,
  reservationIdParams,
  reservationPage,
} from "../schemas/reservations.js";

/** What the OpenAPI document says of a route: every one here needs a token. */
const doc = (operationId: string, summary: string) => ({
  operationId,
  summary,
  tags: ["reservations"],
  ...bearerSecurity,
});

/** The caller, once `guestOnly` has let the request through. */
const caller = (request: FastifyRequest) => request.principal as Principal;

const reservations: FastifyPluginAsyncZod = async (app) => {
  const { bookingsPerMinute } = app.reservationConfig.saga;
  const guest = app.guestOnly;

  app.post(
    "/reservations",
    {
      ...guest,
      schema: {
        ...doc("bookRoom", "Book a room: answered at once, PENDING, while the room service takes the nights"),
        body: newReservationBody,
        headers: bookingHeaders,
        response: { 202: reservation, ...errors },
      },
      // Per guest (without a valid token: per address), counted before the token is even required.
      config: {
        rateLimit: {
          max: bookingsPerMinute,
          timeWindow: 60_000,
          keyGenerator: (request) => (request.principal ? `guest:${request.principal.id}` : `ip:${request.ip}`),
          allowList: () => false,
        },
      },
    },
    async (request, reply) => {
      const booking = await app.reservations.book(caller(request), request.body, request.headers["idempotency-key"]);
      return reply.status(202).send(booking);
    },
  );

  app.get(
    "/reservations",
    {
      ...guest,
      schema: {
        ...doc("listReservations", "The caller's bookings (staff: any guest's), newest first, a page at a time"),
        querystring: listQuery,
        response: { 200: reservationPage, ...errors },
      },
    },
    async (request) => app.reservations.list(caller(request), request.query),
  );

  app.get(
    "/reservations/:id",
    {
      ...guest,
      schema: {
        ...doc("getReservation", "One booking: its owner's or staff's; 404 for anyone else"),
        params: reservationIdParams,
        response: { 200: reservation, ...errors },
      },
    },
    async (request) => app.reservations.get(caller(request), request.params.id),
  );

  app.get(
    "/reservations/:id/history",
    {
      ...guest,
      schema: {
        ...doc("getReservationHistory", "Each state change of a booking, in order, with its cause"),
        params: reservationIdParams,
        response: { 200: bookingHistory, ...errors },
      },
    },
    async (request) => app.reservations.history(caller(request), request.params.id),
  );

  app.get(
    "/reservations/:id/change-quote",
    {
      ...guest,
      schema: {
        ...doc(
          "quoteDateChange",
          "What moving a booking to other dates would cost now, and whether every night is free",
        ),
        params: reservationIdParams,
        querystring: changeQuoteQuery,
        response: { 200: changeQuote, ...errors },
      },
    },
    async (request) => app.reservations.quoteChange(caller(request), request.params.id, request.query),
  );

  app.patch(
    "/reservations/:id",
    {
      ...guest,
      schema: {
        ...doc(
          "changeReservationDates",
          "Move a confirmed booking to other dates: CHANGE_PENDING, then SUCCESS at the new dates or the old",
        ),
        params: reservationIdParams,
        body: changeBody,
        response: { 202: reservation, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(202).send(await app.reservations.requestChange(caller(request), request.params.id, request.body)),
  );

  app.post(
    "/reservations/:id/cancel",
    {
      ...guest,
      schema: {
        ...doc("cancelReservation", "Cancel a booking: CANCEL_PENDING, then CANCEL once the nights are given back"),
        params: reservationIdParams,
        response: { 202: reservation, ...errors },
      },
    },
    async (request, reply) => reply.status(202).send(await app.reservations.cancel(caller(request), request.params.id)),
  );
};

export default reservations;
