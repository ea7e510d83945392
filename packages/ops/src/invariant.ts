import pg from "pg";

/** One statement on its own connection, as whoever the URL logs in as (the operators' role suffices). */
async function queryRows<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[]) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export interface InvariantReport {
  bookings: number;
  byStatus: Record<string, number>;
  /** Nights whose taken count differs from the holds that cover them (lost or double-taken). */
  nightMismatches: { roomId: string; date: string; taken: number; held: number }[];
  /** Bookings whose final state disagrees with the room service's hold. */
  holdMismatches: { reservationId: string; status: string; hold: string | null }[];
  overbooked: { roomId: string; date: string; taken: number; units: number }[];
}

/**
 * The invariant that matters, over the given rooms: every night's taken count equals the holds that
 * cover it and never exceeds the room's units, and every booking's final state agrees with its hold
 * (SUCCESS holds its nights; FAILURE and CANCEL hold nothing). Shared by the tests and the bench.
 */
export async function checkInvariant(
  databases: { reservation: string; room: string },
  roomIds: string[],
): Promise<InvariantReport> {
  const [bookings, holds, nights] = await Promise.all([
    queryRows<{ id: string; status: string }>(
      databases.reservation,
      `SELECT "id", "status"::text AS "status" FROM "reservations" WHERE "room_id" = ANY($1::uuid[])`,
      [roomIds],
    ),
    queryRows<{ reservation_id: string; status: string }>(
      databases.room,
      `SELECT "reservation_id", "status"::text AS "status" FROM "holds" WHERE "room_id" = ANY($1::uuid[])`,
      [roomIds],
    ),
    queryRows<{ room_id: string; date: string; taken: number; held: number; units: number }>(
      databases.room,
      `SELECT n."room_id", n."date"::text AS "date", n."taken", r."units",
              (SELECT count(*)::int FROM "holds" h WHERE h."room_id" = n."room_id" AND h."status" = 'HELD'
                 AND n."date" >= h."check_in" AND n."date" < h."check_out") AS "held"
       FROM "room_nights" n JOIN "rooms" r ON r."id" = n."room_id" WHERE n."room_id" = ANY($1::uuid[])`,
      [roomIds],
    ),
  ]);
  const holdOf = new Map(holds.map((h) => [h.reservation_id, h.status]));
  const expectsHold: Record<string, boolean> = { SUCCESS: true, FAILURE: false, CANCEL: false };
  const byStatus: Record<string, number> = {};
  for (const b of bookings) byStatus[b.status] = (byStatus[b.status] ?? 0) + 1;
  return {
    bookings: bookings.length,
    byStatus,
    nightMismatches: nights
      .filter((n) => n.taken !== n.held)
      .map((n) => ({ roomId: n.room_id, date: n.date, taken: n.taken, held: n.held })),
    holdMismatches: bookings
      .filter((b) => b.status in expectsHold && (holdOf.get(b.id) === "HELD") !== expectsHold[b.status])
      .map((b) => ({ reservationId: b.id, status: b.status, hold: holdOf.get(b.id) ?? null })),
    overbooked: nights
      .filter((n) => n.taken > n.units || n.taken < 0)
      .map((n) => ({ roomId: n.room_id, date: n.date, taken: n.taken, units: n.units })),
  };
}

/** True when nothing is broken and, with `settled`, no booking still waits on the saga. */
export function invariantHolds(report: InvariantReport, settled = false): boolean {
  const waiting = (report.byStatus.PENDING ?? 0) + (report.byStatus.CANCEL_PENDING ?? 0);
  return (
    report.nightMismatches.length === 0 &&
    report.holdMismatches.length === 0 &&
    report.overbooked.length === 0 &&
    (!settled || waiting === 0)
  );
}
