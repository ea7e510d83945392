import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  availability,
  availabilityQuery,
  errors,
  holdHistory,
  newRoomBody,
  reservationIdParams,
  room,
  roomIdParams,
} from "../schemas/rooms.js";

const rooms: FastifyPluginAsyncZod = async (app) => {
  app.post(
    "/rooms",
    { ...app.staffOnly, schema: { body: newRoomBody, response: { 201: room, ...errors } } },
    async (request, reply) => reply.status(201).send(await app.rooms.create(request.body)),
  );

  app.get(
    "/holds/:reservationId/history",
    { ...app.staffOnly, schema: { params: reservationIdParams, response: { 200: holdHistory, ...errors } } },
    async (request) => app.rooms.holdHistory(request.params.reservationId),
  );

  app.get(
    "/rooms/:id/availability",
    { schema: { params: roomIdParams, querystring: availabilityQuery, response: { 200: availability, ...errors } } },
    async (request) => app.rooms.availability(request.params.id, request.query.from, request.query.to),
  );
};

export default rooms;
