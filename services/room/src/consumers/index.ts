import { firstRoomOf, roomCancelMessage, roomReserveMessage } from "@saga/contracts";
import { messageHandler } from "@saga/platform/messaging";
import type { SqlTransaction } from "@saga/platform/sql";
import type { FastifyInstance } from "fastify";

/** Kafka entry points of the room service: room-reserve and room-cancel, each in order of its first room. */
export const roomConsumers = (app: FastifyInstance) => [
  messageHandler({
    topic: app.roomConfig.topics.roomReserve,
    schema: roomReserveMessage,
    orderKey: firstRoomOf,
    handle: (tx: SqlTransaction, messages) => app.holds.reserve(tx, messages),
  }),
  messageHandler({
    topic: app.roomConfig.topics.roomCancel,
    schema: roomCancelMessage,
    orderKey: firstRoomOf,
    handle: (tx: SqlTransaction, messages) => app.holds.cancel(tx, messages),
  }),
];
