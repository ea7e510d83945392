import { bearerSecurity } from "@saga/platform/http";
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

/** What the OpenAPI document says of a route. */
const doc = (operationId: string, summary: string, security = {}) => ({
  operationId,
  summary,
  tags: ["rooms"],
  ...security,
});

const rooms: FastifyPluginAsyncZod = async (app) => {
  app.post(
    "/rooms",
    {
      ...app.staffOnly,
      schema: {
        ...doc("createRoom", "Create a room type with its number of identical units (staff)", bearerSecurity),
        body: newRoomBody,
        response: { 201: room, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await app.rooms.create(request.body)),
  );

  app.get(
    "/holds/:reservationId/history",
    {
      ...app.staffOnly,
      schema: {
        ...doc(
          "getHoldHistory",
          "What each room-reserve and room-cancel did to a reservation's hold (staff)",
          bearerSecurity,
        ),
        params: reservationIdParams,
        response: { 200: holdHistory, ...errors },
      },
    },
    async (request) => app.rooms.holdHistory(request.params.reservationId),
  );

  app.get(
    "/rooms/:id/availability",
    {
      schema: {
        ...doc("getAvailability", "Units left each night from `from` to `to` (public)"),
        params: roomIdParams,
        querystring: availabilityQuery,
        response: { 200: availability, ...errors },
      },
    },
    async (request) => app.rooms.availability(request.params.id, request.query.from, request.query.to),
  );
};

export default rooms;
