import { bearerSecurity } from "@saga/platform/http";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  availability,
  availabilityQuery,
  errors,
  holdHistory,
  newRoomBody,
  quote,
  quoteQuery,
  ratesBody,
  ratesSet,
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
        ...doc(
          "createRoom",
          "Create a room type: its identical units and, optionally, its rate plan (staff)",
          bearerSecurity,
        ),
        body: newRoomBody,
        response: { 201: room, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await app.rooms.create(request.body)),
  );

  app.put(
    "/rooms/:id/rates",
    {
      ...app.staffOnly,
      schema: {
        ...doc(
          "setRates",
          "Set the rate of each night from `from` up to `to`, in the room's currency (staff)",
          bearerSecurity,
        ),
        params: roomIdParams,
        body: ratesBody,
        response: { 200: ratesSet, ...errors },
      },
    },
    async (request) => app.rooms.setRates(request.params.id, request.body),
  );

  app.get(
    "/rooms/:id/quote",
    {
      schema: {
        ...doc("quoteStay", "What a stay would cost now, night by night, and whether it is available (public)"),
        params: roomIdParams,
        querystring: quoteQuery,
        response: { 200: quote, ...errors },
      },
    },
    async (request) => app.rooms.quote(request.params.id, request.query.checkIn, request.query.checkOut),
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
