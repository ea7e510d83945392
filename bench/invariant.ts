import { checkInvariant } from "../test/harness/invariant-check.js";

/** The same invariant the fault tests check, over the bench's rooms; `ok` is false on any breach. */
export async function checkBenchInvariant(env: NodeJS.ProcessEnv, roomIds: string[]) {
  const report = await checkInvariant(
    { reservationDatabaseUrl: env.RESERVATION_DATABASE_URL ?? "", roomDatabaseUrl: env.ROOM_DATABASE_URL ?? "" },
    roomIds,
  );
  const pending = (report.byStatus.PENDING ?? 0) + (report.byStatus.CANCEL_PENDING ?? 0);
  const ok =
    report.nightMismatches.length === 0 &&
    report.holdMismatches.length === 0 &&
    report.overbooked.length === 0 &&
    pending === 0;
  return { ok, pending, ...report };
}
