import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  bookingHeaders,
  errors,
  newReservationBody,
  reservation,
  reservationIdParams,
} from "../schemas/reservations.js";

const reservations: FastifyPluginAsyncZod = async (app) => {
  app.post(
    "/reservations",
    { schema: { body: newReservationBody, headers: bookingHeaders, response: { 202: reservation, ...errors } } },
    async (request, reply) =>
      reply.status(202).send(await app.reservations.book(request.body, request.headers["idempotency-key"])),
  );

  app.get(
    "/reservations/:id",
    { schema: { params: reservationIdParams, response: { 200: reservation, ...errors } } },
    async (request) => app.reservations.get(request.params.id),
  );

  app.post(
    "/reservations/:id/cancel",
    { schema: { params: reservationIdParams, response: { 202: reservation, ...errors } } },
    async (request, reply) => reply.status(202).send(await app.reservations.cancel(request.params.id)),
  );
};

export default reservations;
