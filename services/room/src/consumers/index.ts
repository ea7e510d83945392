import { firstRoomOf, roomCancelMessage, roomChangeMessage, roomReserveMessage } from "@saga/contracts";
import { messageHandler } from "@saga/platform/messaging";
import type { SqlTransaction } from "@saga/platform/sql";
import type { FastifyInstance } from "fastify";

/** Kafka entry points of the room service: room-reserve, room-cancel and room-change, each in order of its first room. */
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
  messageHandler({
    topic: app.roomConfig.topics.roomChange,
    schema: roomChangeMessage,
    orderKey: firstRoomOf,
    handle: (tx: SqlTransaction, messages) => app.holds.change(tx, messages),
  }),
];
