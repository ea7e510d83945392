import { eachNight } from "@saga/contracts";
import type { Sql } from "@saga/platform/sql";
import {
  bookingAndNightFindings,
  depositDisagrees,
  holdOfRows,
  type InvariantNight,
  type InvariantReport,
} from "../invariant.js";
import {
  type BookingRow,
  bookingsByIds,
  type DepositRow,
  depositsByIds,
  type HoldRow,
  holdsByIds,
  type MovementRow,
  nightsByKeys,
  type PaymentRow,
  paymentsByIds,
  unbalancedMovements,
} from "./check-queries.js";

/** The three databases, as the operators' role. */
export interface ReconcilerDatabases {
  reservation: Sql;
  room: Sql;
  payment: Sql;
}

/** What a pass checks, by key: bookings, nights (`room/date`), movements and guests' deposit accounts. */
export interface Subjects {
  bookings: Set<string>;
  nights: Set<string>;
  movements: Set<string>;
  deposits: Set<string>;
}

export const noSubjects = (): Subjects => ({
  bookings: new Set(),
  nights: new Set(),
  movements: new Set(),
  deposits: new Set(),
});

export type Checked = Record<keyof Subjects, number>;

const splitNight = (key: string) => key.split("/") as [string, string];

/**
 * The invariant over these subjects only, as `checkInvariant` states it over everything. The
 * bookings are read first: the other services act on a booking before it becomes final, so a final
 * state read first is one the holds and payments read after must agree with. Every night of every
 * booking and hold read is checked too, since a hold changes the nights it covers.
 */
export async function checkSubjects(
  db: ReconcilerDatabases,
  subjects: Subjects,
): Promise<{ report: InvariantReport; checked: Checked }> {
  const ids = [...subjects.bookings];
  const bookings = ids.length > 0 ? await db.reservation.rows<BookingRow>(bookingsByIds(ids)) : [];
  const [holds, payments] =
    ids.length > 0
      ? await Promise.all([db.room.rows<HoldRow>(holdsByIds(ids)), db.payment.rows<PaymentRow>(paymentsByIds(ids))])
      : [[], []];
  const nights = new Set(subjects.nights);
  const stays = [...bookings.flatMap((b) => b.roomIds.map((roomId) => ({ ...b, roomId }))), ...holds];
  for (const stay of stays)
    for (const date of eachNight(stay.checkIn, stay.checkOut)) nights.add(`${stay.roomId}/${date}`);
  const nightKeys = [...nights].map(splitNight);
  const movements = [...subjects.movements];
  const deposits = [...subjects.deposits];
  const [nightRows, unbalanced, depositRows] = await Promise.all([
    nightKeys.length > 0
      ? db.room.rows<InvariantNight>(
          nightsByKeys(
            nightKeys.map(([room]) => room),
            nightKeys.map(([, date]) => date),
          ),
        )
      : [],
    movements.length > 0 ? db.payment.rows<MovementRow>(unbalancedMovements(movements)) : [],
    deposits.length > 0 ? db.payment.rows<DepositRow>(depositsByIds(deposits)) : [],
  ]);

  const rowsOf = new Map<string, HoldRow[]>();
  for (const h of holds) rowsOf.set(h.reservationId, [...(rowsOf.get(h.reservationId) ?? []), h]);
  const holdOf = new Map([...rowsOf].map(([id, rows]) => [id, holdOfRows(rows)]));
  const netOf = new Map(payments.map((p) => [p.reservationId, p.recorded]));
  const known = new Set(bookings.map((b) => b.id));
  const report: InvariantReport = {
    ...bookingAndNightFindings(bookings, holdOf, netOf, nightRows),
    orphanPayments: payments
      .filter((p) => !known.has(p.reservationId) && p.recorded !== 0)
      .map((p) => ({ reservationId: p.reservationId, net: p.recorded })),
    ledger: {
      // Every entry belongs to a movement: with every movement balanced, so is the whole.
      total: 0,
      unbalancedMovements: unbalanced.map((m) => ({ movementId: m.id, sum: m.sum })),
      depositMismatches: depositRows.filter(depositDisagrees),
      paymentMismatches: payments
        .filter((p) => p.recorded !== p.moved)
        .map((p) => ({ reservationId: p.reservationId, recorded: p.recorded, moved: p.moved })),
    },
  };
  return {
    report,
    checked: { bookings: ids.length, nights: nightKeys.length, movements: movements.length, deposits: deposits.length },
  };
}
