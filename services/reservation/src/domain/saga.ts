import type { TransactionResultMessage } from "@saga/contracts";
import type { ReservationStatus } from "../generated/prisma/enums.js";

/** The states a booking ends in. */
export const FINAL_STATUSES = ["SUCCESS", "FAILURE", "CANCEL"] as const satisfies readonly ReservationStatus[];
export const isFinal = (status: ReservationStatus) => (FINAL_STATUSES as readonly ReservationStatus[]).includes(status);

export interface Transition {
  status: ReservationStatus;
  reason: string | null;
}

/** A booking that reached a final state, as the saga's metrics count it. */
export interface Finished {
  status: (typeof FINAL_STATUSES)[number];
  reason: string | null;
  createdAt: Date;
  completedAt: Date;
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
