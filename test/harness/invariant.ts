import { inject } from "vitest";
import { checkInvariantAt, type InvariantReport } from "./invariant-check.js";

export type { InvariantReport };

/** The invariant over the given rooms, in the test run's databases (see invariant-check.ts). */
export function checkInvariant(roomIds: string[]): Promise<InvariantReport> {
  return checkInvariantAt(inject("infra"), roomIds);
}
