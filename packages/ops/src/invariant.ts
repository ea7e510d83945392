import { execFile } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";
import { ROOT } from "./root.js";

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
  /**
   * Bookings whose final state disagrees with the room service's hold: a SUCCESS must hold every
   * unit of every room it names (a hold of other units, or of some rooms only, is PARTIAL), a
   * FAILURE or CANCEL none.
   */
  holdMismatches: { reservationId: string; status: string; hold: string | null }[];
  overbooked: { roomId: string; date: string; taken: number; units: number }[];
  /**
   * Final bookings whose net charge (charged less refunded, in the payment service's records)
   * is not what their state says: SUCCESS prepaid its total, FAILURE nothing, CANCEL its penalty.
   */
  moneyMismatches: { reservationId: string; status: string; expected: number; net: number }[];
  /**
   * Money charged, net, for a booking the reservation service does not have (checked only over all
   * rooms: a scoped check cannot tell another room's booking from none).
   */
  orphanPayments: { reservationId: string; net: number }[];
  /** The ledger itself: each movement and the whole sum to zero, deposits agree with their entries and stay >= 0. */
  ledger: LedgerReport;
}

export interface LedgerReport {
  /** The sum of every entry ever written: always 0. */
  total: number;
  unbalancedMovements: { movementId: string; sum: number }[];
  /** Deposits whose kept balance differs from the sum of their entries, or is below zero. */
  depositMismatches: { accountId: string; owner: string; currency: string; balance: number; entries: number }[];
  /** Payments whose charged less refunded differs from the movements of their booking. */
  paymentMismatches: { reservationId: string; recorded: number; moved: number }[];
}

/** A guest's deposit whose kept balance is not the sum of its entries, or is below zero. */
export const depositDisagrees = (d: { balance: number; entries: number }) => d.balance !== d.entries || d.balance < 0;

const NO_LEDGER: LedgerReport = { total: 0, unbalancedMovements: [], depositMismatches: [], paymentMismatches: [] };

/** The ledger's own checks, over all of it: money is neither made nor lost, whatever else went on. */
async function checkLedger(payment: string): Promise<LedgerReport> {
  const [total, unbalanced, deposits, payments] = await Promise.all([
    queryRows<{ total: string }>(payment, `SELECT COALESCE(sum("amount"), 0)::text AS "total" FROM "entries"`, []),
    queryRows<{ movementId: string; sum: string }>(
      payment,
      `SELECT m."id" AS "movementId", COALESCE(sum(e."amount"), 0)::text AS "sum"
       FROM "movements" m LEFT JOIN "entries" e ON e."movement_id" = m."id"
       GROUP BY m."id" HAVING COALESCE(sum(e."amount"), 0) <> 0 OR count(e."id") < 2`,
      [],
    ),
    queryRows<{ accountId: string; owner: string; currency: string; balance: string; entries: string }>(
      payment,
      `SELECT a."id" AS "accountId", a."owner", a."currency", a."balance"::text AS "balance",
              COALESCE((SELECT sum(e."amount") FROM "entries" e WHERE e."account_id" = a."id"), 0)::text AS "entries"
       FROM "accounts" a WHERE a."kind" = 'GUEST_DEPOSIT'`,
      [],
    ),
    queryRows<{ reservationId: string; recorded: string; moved: string }>(
      payment,
      `SELECT p."reservation_id" AS "reservationId", (p."charged" - p."refunded")::text AS "recorded",
              COALESCE((SELECT sum(CASE m."kind" WHEN 'CHARGE' THEN m."amount" ELSE -m."amount" END)
                        FROM "movements" m WHERE m."reservation_id" = p."reservation_id"), 0)::text AS "moved"
       FROM "payments" p`,
      [],
    ),
  ]);
  return {
    total: Number(total[0]?.total ?? 0),
    unbalancedMovements: unbalanced.map((m) => ({ movementId: m.movementId, sum: Number(m.sum) })),
    depositMismatches: deposits
      .map((d) => ({ ...d, balance: Number(d.balance), entries: Number(d.entries) }))
      .filter(depositDisagrees),
    paymentMismatches: payments
      .map((p) => ({ reservationId: p.reservationId, recorded: Number(p.recorded), moved: Number(p.moved) }))
      .filter((p) => p.recorded !== p.moved),
  };
}

/** A booking as the invariant reads it: its state, its units, how it is paid, its total and the penalty a refund keeps. */
export interface InvariantBooking {
  id: string;
  status: string;
  /** Every room it names with its units, as `unitsKey` writes them. */
  units: string;
  /** Its dates, `check-in/check-out` (a changed booking's new ones). */
  stay: string;
  payment: string | null;
  total: string | null;
  keep: string | null;
  /** What its date changes kept (penalties), charged on top of its total. */
  changeKept: string;
}

/** A night as the invariant reads it: units taken, the room's units, and the units its holds cover. */
export interface InvariantNight {
  roomId: string;
  date: string;
  taken: number;
  units: number;
  held: number;
}

/**
 * What a final booking should have been charged, net: its prepaid total (and what its date changes
 * kept), nothing, or its penalty.
 */
function expectedNet(b: InvariantBooking) {
  if (b.status === "SUCCESS") return b.payment === "PREPAID" ? Number(b.total ?? 0) + Number(b.changeKept) : 0;
  if (b.status === "CANCEL") return Number(b.keep ?? 0);
  return 0;
}

const FINAL = new Set(["SUCCESS", "FAILURE", "CANCEL"]);
const EXPECTS_HOLD: Record<string, boolean> = { SUCCESS: true, FAILURE: false, CANCEL: false };

/** A reservation's hold as the invariant reads it: HELD, RELEASED or PARTIAL (rows of both), and its units. */
export interface InvariantHold {
  status: string;
  units: string;
  /** Its rows' dates, `check-in/check-out` (MIXED when they differ: never, in one hold). */
  stay: string;
}

/** One key for a set of (room, units), the same from a booking's `rooms` and from its hold rows: `room×units;…` by room. */
export const UNITS_OF_BOOKING = `CASE WHEN "rooms" IS NULL THEN "room_id"::text || '×1' ELSE
  (SELECT string_agg((e->>'roomId') || '×' || (e->>'quantity'), ';' ORDER BY (e->>'roomId') COLLATE "C")
   FROM jsonb_array_elements("rooms") AS e) END`;
const UNITS_OF_HOLD = `string_agg("room_id"::text || '×' || "quantity", ';' ORDER BY "room_id"::text COLLATE "C")`;
const STATUS_OF_HOLD = `CASE WHEN count(DISTINCT "status") > 1 THEN 'PARTIAL' ELSE min("status"::text) END`;
/** A booking's or a hold's dates as one key: `check-in/check-out`. */
export const STAY_OF_BOOKING = `"check_in"::text || '/' || "check_out"::text`;
const STAY_OF_HOLD = `CASE WHEN count(DISTINCT ("check_in", "check_out")) > 1 THEN 'MIXED'
  ELSE min("check_in")::text || '/' || min("check_out")::text END`;

/** A reservation's hold from its rows, as the statements above read it. */
export function holdOfRows(
  rows: { roomId: string; quantity: number; status: string; checkIn: string; checkOut: string }[],
): InvariantHold {
  const statuses = new Set(rows.map((r) => r.status));
  const stays = new Set(rows.map((r) => `${r.checkIn}/${r.checkOut}`));
  const sorted = [...rows].sort((a, b) => (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0));
  return {
    status: statuses.size > 1 ? "PARTIAL" : (rows[0]?.status ?? ""),
    units: sorted.map((r) => `${r.roomId}×${r.quantity}`).join(";"),
    stay: stays.size > 1 ? "MIXED" : ([...stays][0] ?? ""),
  };
}

/**
 * Whether a final booking's hold is what its state says: all its units HELD for SUCCESS, at its
 * dates (a changed booking's new ones), nothing HELD otherwise.
 */
const holdAgrees = (b: InvariantBooking, hold: InvariantHold | undefined) =>
  EXPECTS_HOLD[b.status]
    ? hold?.status === "HELD" && hold.units === b.units && hold.stay === b.stay
    : hold?.status !== "HELD" && hold?.status !== "PARTIAL";

/** How a booking's hold disagrees with it, for the report. */
function holdLabel(b: InvariantBooking, hold: InvariantHold | undefined): string | null {
  if (hold?.status === "HELD" && hold.units !== b.units) return "PARTIAL";
  if (hold?.status === "HELD" && hold.stay !== b.stay) return `OTHER_DATES ${hold.stay}`;
  return hold?.status ?? null;
}

/**
 * The invariant's findings over bookings and nights, however many were read: each final booking
 * against its hold (SUCCESS holds its nights; FAILURE and CANCEL hold nothing) and, given `netOf`,
 * against its net charge; each night's taken count against its holds and its room's units. The full
 * check (`checkInvariant`) and the live reconciler both decide by it.
 */
export function bookingAndNightFindings(
  bookings: InvariantBooking[],
  holdOf: Map<string, InvariantHold>,
  netOf: Map<string, number> | undefined,
  nights: InvariantNight[],
): Pick<
  InvariantReport,
  "bookings" | "byStatus" | "holdMismatches" | "moneyMismatches" | "nightMismatches" | "overbooked"
> {
  const byStatus: Record<string, number> = {};
  for (const b of bookings) byStatus[b.status] = (byStatus[b.status] ?? 0) + 1;
  return {
    bookings: bookings.length,
    byStatus,
    holdMismatches: bookings
      .filter((b) => b.status in EXPECTS_HOLD && !holdAgrees(b, holdOf.get(b.id)))
      .map((b) => ({ reservationId: b.id, status: b.status, hold: holdLabel(b, holdOf.get(b.id)) })),
    moneyMismatches: netOf
      ? bookings
          .filter((b) => FINAL.has(b.status) && expectedNet(b) !== (netOf.get(b.id) ?? 0))
          .map((b) => ({ reservationId: b.id, status: b.status, expected: expectedNet(b), net: netOf.get(b.id) ?? 0 }))
      : [],
    nightMismatches: nights
      .filter((n) => n.taken !== n.held)
      .map((n) => ({ roomId: n.roomId, date: n.date, taken: n.taken, held: n.held })),
    overbooked: nights
      .filter((n) => n.taken > n.units || n.taken < 0)
      .map((n) => ({ roomId: n.roomId, date: n.date, taken: n.taken, units: n.units })),
  };
}

/**
 * The invariant that matters, over the given rooms (all of them when none are given): every night's
 * taken count equals the holds that cover it and never exceeds the room's units; every final
 * booking agrees with its hold (SUCCESS holds its nights; FAILURE and CANCEL hold nothing) and, with
 * the payment service's database, with its money (SUCCESS prepaid: its total charged, net; FAILURE:
 * nothing; CANCEL: its penalty); and the ledger balances. Shared by the tests, the bench and
 * `pnpm reconcile`; every statement reads only (the operators' role suffices).
 */
export async function checkInvariant(
  databases: { reservation: string; room: string; payment?: string },
  roomIds?: string[],
): Promise<InvariantReport> {
  const scope = roomIds ? `WHERE "room_id" = ANY($1::uuid[])` : "";
  // A booking of several rooms is in scope by any of them.
  const bookingScope = roomIds
    ? `WHERE "room_id" = ANY($1::uuid[]) OR EXISTS (SELECT 1 FROM jsonb_array_elements("rooms") AS e
         WHERE (e->>'roomId')::uuid = ANY($1::uuid[]))`
    : "";
  const nightScope = roomIds ? `WHERE n."room_id" = ANY($1::uuid[])` : "";
  const values = roomIds ? [roomIds] : [];
  const bookings = await queryRows<InvariantBooking>(
    databases.reservation,
    `SELECT "id", "status"::text AS "status", ${UNITS_OF_BOOKING} AS "units", ${STAY_OF_BOOKING} AS "stay",
            "price"->>'payment' AS "payment",
            "price"->>'total' AS "total", "refund_keep"::text AS "keep", "change_kept"::text AS "changeKept"
     FROM "reservations" ${bookingScope}`,
    values,
  );
  // Scoped: the holds of the rooms in scope, and every hold of the bookings read (in any room).
  const [holds, nights] = await Promise.all([
    queryRows<InvariantHold & { reservation_id: string }>(
      databases.room,
      `SELECT "reservation_id", ${STATUS_OF_HOLD} AS "status", ${UNITS_OF_HOLD} AS "units", ${STAY_OF_HOLD} AS "stay"
       FROM "holds"
       ${roomIds ? `WHERE "reservation_id" IN (SELECT "reservation_id" FROM "holds" ${scope}) OR "reservation_id" = ANY($2::uuid[])` : ""}
       GROUP BY "reservation_id"`,
      roomIds ? [roomIds, bookings.map((b) => b.id)] : [],
    ),
    queryRows<InvariantNight>(
      databases.room,
      `SELECT n."room_id" AS "roomId", n."date"::text AS "date", n."taken", r."units",
              (SELECT COALESCE(sum(h."quantity"), 0)::int FROM "holds" h WHERE h."room_id" = n."room_id" AND h."status" = 'HELD'
                 AND n."date" >= h."check_in" AND n."date" < h."check_out") AS "held"
       FROM "room_nights" n JOIN "rooms" r ON r."id" = n."room_id" ${nightScope}`,
      values,
    ),
  ]);
  const [payments, ledger] = databases.payment
    ? await Promise.all([
        queryRows<{ reservation_id: string; net: string }>(
          databases.payment,
          `SELECT "reservation_id", ("charged" - "refunded")::text AS "net" FROM "payments"
           ${roomIds ? `WHERE "reservation_id" = ANY($1::uuid[])` : ""}`,
          roomIds ? [bookings.map((b) => b.id)] : [],
        ),
        checkLedger(databases.payment),
      ])
    : [[], NO_LEDGER];
  const holdOf = new Map(holds.map(({ reservation_id, ...hold }) => [reservation_id, hold]));
  const netOf = new Map(payments.map((p) => [p.reservation_id, Number(p.net)]));
  const known = new Set(bookings.map((b) => b.id));
  return {
    ...bookingAndNightFindings(bookings, holdOf, databases.payment ? netOf : undefined, nights),
    orphanPayments: roomIds
      ? []
      : [...netOf]
          .filter(([id, net]) => !known.has(id) && net !== 0)
          .map(([reservationId, net]) => ({ reservationId, net })),
    ledger,
  };
}

/** Bookings still waiting on the saga: a reply, a charge, or the confirmation of a compensation. */
export const waitingOf = (report: InvariantReport) =>
  ["PENDING", "AWAITING_PAYMENT", "CANCEL_PENDING", "RELEASE_PENDING", "CHANGE_PENDING"].reduce(
    (n, s) => n + (report.byStatus[s] ?? 0),
    0,
  );

/** True when nothing is broken and, with `settled`, no booking still waits on the saga. */
export function invariantHolds(report: InvariantReport, settled = false): boolean {
  const { ledger } = report;
  return (
    report.nightMismatches.length === 0 &&
    report.holdMismatches.length === 0 &&
    report.overbooked.length === 0 &&
    report.moneyMismatches.length === 0 &&
    report.orphanPayments.length === 0 &&
    ledger.total === 0 &&
    ledger.unbalancedMovements.length === 0 &&
    ledger.depositMismatches.length === 0 &&
    ledger.paymentMismatches.length === 0 &&
    (!settled || waitingOf(report) === 0)
  );
}

/** What a discrepancy is about: a booking, a night, a movement, a deposit, or the ledger as a whole. */
export type DiscrepancyKind =
  | "hold"
  | "money"
  | "orphan"
  | "night"
  | "overbooked"
  | "ledger"
  | "movement"
  | "deposit"
  | "payment";

export const DISCREPANCY_KINDS: readonly DiscrepancyKind[] = [
  "hold",
  "money",
  "orphan",
  "night",
  "overbooked",
  "ledger",
  "movement",
  "deposit",
  "payment",
];

export interface Discrepancy {
  kind: DiscrepancyKind;
  /** What it is about, by key: a booking's id, `room/date`, a movement's or a deposit account's id. */
  subject: string;
  /** One line an operator can act on. */
  line: string;
}

/** Each discrepancy of a report, naming the booking, room, movement or deposit it is about; none when the invariant holds. */
export function discrepancyItems(report: InvariantReport): Discrepancy[] {
  const { ledger } = report;
  return [
    ...report.holdMismatches.map((m) => ({
      kind: "hold" as const,
      subject: m.reservationId,
      line:
        m.status === "SUCCESS"
          ? `booking ${m.reservationId} SUCCESS: the room service holds no nights for it (hold ${m.hold ?? "none"})`
          : `booking ${m.reservationId} ${m.status}: the room service still holds its nights`,
    })),
    ...report.moneyMismatches.map((m) => ({
      kind: "money" as const,
      subject: m.reservationId,
      line: `booking ${m.reservationId} ${m.status}: charged ${m.net} net, expected ${m.expected} (minor units)`,
    })),
    ...report.orphanPayments.map((p) => ({
      kind: "orphan" as const,
      subject: p.reservationId,
      line: `payment ${p.reservationId}: ${p.net} charged net for a booking the reservation service does not have`,
    })),
    ...report.nightMismatches.map((n) => ({
      kind: "night" as const,
      subject: `${n.roomId}/${n.date}`,
      line: `room ${n.roomId} night ${n.date}: ${n.taken} taken, but ${n.held} held by bookings`,
    })),
    ...report.overbooked.map((n) => ({
      kind: "overbooked" as const,
      subject: `${n.roomId}/${n.date}`,
      line: `room ${n.roomId} night ${n.date}: ${n.taken} taken of ${n.units} units`,
    })),
    ...(ledger.total === 0
      ? []
      : [{ kind: "ledger" as const, subject: "total", line: `ledger: its entries sum to ${ledger.total}, not 0` }]),
    ...ledger.unbalancedMovements.map((m) => ({
      kind: "movement" as const,
      subject: m.movementId,
      line: `movement ${m.movementId}: its entries sum to ${m.sum}, not 0`,
    })),
    ...ledger.depositMismatches.map((d) => ({
      kind: "deposit" as const,
      subject: d.accountId,
      line: `deposit of ${d.owner} in ${d.currency}: balance ${d.balance}, its entries sum to ${d.entries}`,
    })),
    ...ledger.paymentMismatches.map((p) => ({
      kind: "payment" as const,
      subject: p.reservationId,
      line: `payment ${p.reservationId}: ${p.recorded} recorded net, its movements ${p.moved}`,
    })),
  ];
}

/** Each discrepancy of a report as one line an operator can act on; none when the invariant holds. */
export const discrepancies = (report: InvariantReport): string[] => discrepancyItems(report).map((d) => d.line);

/**
 * `pnpm reconcile` as an operator runs it (scripts/reconcile.ts, a process of its own) over these
 * databases, logged in as their URLs say: its exit code and all it printed. With `settled`, a
 * booking still under way is a discrepancy too.
 */
export async function runReconcile(
  urls: { room: string; reservation: string; payment: string },
  settled: boolean,
): Promise<{ code: number; output: string }> {
  const given = (["room", "reservation", "payment"] as const).flatMap((db) => [`--${db}`, urls[db]]);
  const args = ["--import", "tsx", "scripts/reconcile.ts", ...(settled ? ["--settled"] : []), ...given];
  return promisify(execFile)(process.execPath, args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, output: err.stdout + err.stderr }),
  );
}
