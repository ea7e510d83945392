import type { Topics } from "@saga/contracts";
import type { Sql } from "@saga/platform/sql";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { RoomCatalog } from "../plugins/room-catalog.js";

export interface ReservationsDeps {
  /** Reads (a booking, an Idempotency-Key's earlier booking). */
  db: PrismaClient;
  /** Every write that owes a message, as plain statements (see the platform's sql.ts). */
  sql: Sql;
  topics: Topics;
  sagaDeadlineMs: number;
  /** How long a prepaid booking waits for its charge before its nights are given back (PAYMENT_TIMEOUT). */
  paymentDeadlineMs: number;
  /** A room-cancel or refund not confirmed this long after it was sent is sent again (then after twice as long, …). */
  cancelResendMs: number;
  cancelResendMaxMs: number;
  /** Bookings a guest may hold at once that are not final or SUCCESS. */
  maxActivePerGuest: number;
  /** How long an Idempotency-Key answers with its booking. */
  idempotencyKeyTtlMs: number;
  /** Whether bookings of several rooms or units may be sent (room-reserve version 3). */
  multiRoomMessages: boolean;
  /** Whether date changes may be sent (room-change). */
  dateChanges: boolean;
  /** Today's prices and units left, from the room service (change quotes). */
  roomCatalog: RoomCatalog;
}
