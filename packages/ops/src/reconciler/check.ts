import { eachNight } from "@saga/contracts";
import type { Sql } from "@saga/platform/sql";
import { expectedNet, holdDisagrees, type InvariantReport, moneyDisagrees } from "../invariant.js";
import {
  type BookingRow,
  bookingsByIds,
  type DepositRow,
  depositsByIds,
  type HoldRow,
  holdsByIds,
  type MovementRow,
  type NightRow,
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
  for (const stay of [...bookings, ...holds])
    for (const date of eachNight(stay.checkIn, stay.checkOut)) nights.add(`${stay.roomId}/${date}`);
  const nightKeys = [...nights].map(splitNight);
  const movements = [...subjects.movements];
  const deposits = [...subjects.deposits];
  const [nightRows, unbalanced, depositRows] = await Promise.all([
    nightKeys.length > 0
      ? db.room.rows<NightRow>(
          nightsByKeys(
            nightKeys.map(([room]) => room),
            nightKeys.map(([, date]) => date),
          ),
        )
      : [],
    movements.length > 0 ? db.payment.rows<MovementRow>(unbalancedMovements(movements)) : [],
    deposits.length > 0 ? db.payment.rows<DepositRow>(depositsByIds(deposits)) : [],
  ]);

  const holdOf = new Map(holds.map((h) => [h.reservationId, h.status]));
  const paymentOf = new Map(payments.map((p) => [p.reservationId, p]));
  const known = new Set(bookings.map((b) => b.id));
  const byStatus: Record<string, number> = {};
  for (const b of bookings) byStatus[b.status] = (byStatus[b.status] ?? 0) + 1;
  const report: InvariantReport = {
    bookings: bookings.length,
    byStatus,
    holdMismatches: bookings
      .filter((b) => holdDisagrees(b.status, holdOf.get(b.id)))
      .map((b) => ({ reservationId: b.id, status: b.status, hold: holdOf.get(b.id) ?? null })),
    moneyMismatches: bookings
      .filter((b) => moneyDisagrees(b, paymentOf.get(b.id)?.recorded ?? 0))
      .map((b: BookingRow) => ({
        reservationId: b.id,
        status: b.status,
        expected: expectedNet(b),
        net: paymentOf.get(b.id)?.recorded ?? 0,
      })),
    orphanPayments: payments
      .filter((p) => !known.has(p.reservationId) && p.recorded !== 0)
      .map((p) => ({ reservationId: p.reservationId, net: p.recorded })),
    nightMismatches: nightRows
      .filter((n) => n.taken !== n.held)
      .map((n) => ({ roomId: n.roomId, date: n.date, taken: n.taken, held: n.held })),
    overbooked: nightRows
      .filter((n) => n.taken > n.units || n.taken < 0)
      .map((n) => ({ roomId: n.roomId, date: n.date, taken: n.taken, units: n.units })),
    ledger: {
      // Every entry belongs to a movement: with every movement balanced, so is the whole.
      total: 0,
      unbalancedMovements: unbalanced.map((m) => ({ movementId: m.id, sum: m.sum })),
      depositMismatches: depositRows.filter((d) => d.balance !== d.entries || d.balance < 0),
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
