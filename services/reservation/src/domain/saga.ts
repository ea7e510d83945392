import type { TransactionResultMessage } from "@saga/contracts";
import type { ReservationStatus } from "../generated/prisma/enums.js";

export const FINAL_STATUSES: ReadonlySet<ReservationStatus> = new Set(["SUCCESS", "FAILURE", "CANCEL"]);

export interface Transition {
  status: ReservationStatus;
  reason: string | null;
}

/**
 * What a room-service reply does to a booking. Anything not listed changes nothing: a late reply
 * to a booking that was cancelled or timed out meanwhile is settled by the room-cancel already sent.
 */
export function nextState(current: ReservationStatus, result: TransactionResultMessage): Transition | null {
  if (current === "PENDING" && result.status === "SUCCESS") return { status: "SUCCESS", reason: null };
  if (current === "PENDING" && result.status === "FAILURE") return { status: "FAILURE", reason: result.reason };
  if (current === "CANCEL_PENDING" && result.status === "CANCEL") return { status: "CANCEL", reason: null };
  return null;
}
