import type { Topics } from "@saga/contracts";
import type { SqlTx } from "@saga/platform";
import type { PrismaClient } from "../generated/prisma/client.js";

export interface ReservationDeps {
  db: PrismaClient;
  /** Plain prepared SQL on the same pool, for the booking insert. */
  sql: SqlTx;
  topics: Topics;
  sagaDeadlineMs: number;
  /** A room-cancel not confirmed this long after it was sent is sent again (then after twice as long, …). */
  cancelResendMs: number;
  cancelResendMaxMs: number;
}
