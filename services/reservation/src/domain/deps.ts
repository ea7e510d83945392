import type { Topics } from "@saga/contracts";
import type { Sql } from "@saga/platform/sql";
import type { PrismaClient } from "../generated/prisma/client.js";

export interface ReservationsDeps {
  /** Reads (a booking, an Idempotency-Key's earlier booking). */
  db: PrismaClient;
  /** Every write that owes a message, as plain statements (see the platform's sql.ts). */
  sql: Sql;
  topics: Topics;
  sagaDeadlineMs: number;
  /** A room-cancel not confirmed this long after it was sent is sent again (then after twice as long, …). */
  cancelResendMs: number;
  cancelResendMaxMs: number;
  /** Bookings a guest may hold at once that are PENDING, SUCCESS or CANCEL_PENDING. */
  maxActivePerGuest: number;
  /** How long an Idempotency-Key answers with its booking. */
  idempotencyKeyTtlMs: number;
}
