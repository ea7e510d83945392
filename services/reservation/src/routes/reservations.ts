import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { bookRoom, cancelReservation, getReservation } from "../domain/reservations.js";
import {
  bookingHeaders,
  errors,
  newReservationBody,
  reservation,
  reservationIdParams,
} from "../schemas/reservations.js";

const reservations: FastifyPluginAsyncZod = async (app) => {
  const deps = {
    db: app.reservationDb,
    sql: app.reservationSql,
    topics: app.reservationConfig.topics,
    sagaDeadlineMs: app.reservationConfig.sagaDeadlineMs,
    cancelResendMs: app.reservationConfig.saga.cancelResendMs,
    cancelResendMaxMs: app.reservationConfig.saga.cancelResendMaxMs,
  };

  app.post(
    "/reservations",
    { schema: { body: newReservationBody, headers: bookingHeaders, response: { 202: reservation, ...errors } } },
    async (request, reply) =>
      reply.status(202).send(await bookRoom(deps, request.body, request.headers["idempotency-key"])),
  );

  app.get(
    "/reservations/:id",
    { schema: { params: reservationIdParams, response: { 200: reservation, ...errors } } },
    async (request) => getReservation(deps, request.params.id),
  );

  app.post(
    "/reservations/:id/cancel",
    { schema: { params: reservationIdParams, response: { 202: reservation, ...errors } } },
    async (request, reply) => reply.status(202).send(await cancelReservation(deps, request.params.id)),
  );
};

export default reservations;
