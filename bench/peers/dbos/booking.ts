// The peer's booking, one database transaction at a time, each on the database it belongs to and
// with the services' own statements and decisions where they have them: the room service's
// nights, holds and pricing, the payment service's deposit lock, charge decision and ledger
// statement. The peer writes no history, outbox or inbox rows (it sends no messages).
import { eachNight, type HeldPrice, newPaymentCharge, type PaymentMode } from "@saga/contracts";
import { type Decision, type Deposits, decideCharge } from "@saga/payment/decisions";
import { depositOf } from "@saga/payment/ledger";
import {
  deliverAndLockDeposits,
  type PaymentOrDeposit,
  readPaymentsAndDeposits,
  writeMovements,
} from "@saga/payment/queries";
import { type Query, type Statements, sql } from "@saga/platform/sql";
import { priceOf } from "@saga/room/pricing";
import { type HoldOrNight, lockHolds, readHoldsAndNights, releaseNights, takeNights } from "@saga/room/queries";

export interface Booking {
  id: string;
  guestId: string;
  roomId: string;
  guestName: string;
  checkIn: string;
  checkOut: string;
}

/** What taking the nights did: held them at their price (none without a rate plan), or not. */
export type Taken =
  | { status: "SUCCESS"; price: HeldPrice | null }
  | { status: "FAILURE"; reason: "NO_AVAILABILITY" | "ROOM_NOT_FOUND" };

/** What charging the deposit did: the payment service's reply (CHARGED, or DECLINED with the reason). */
export type Paid = Decision["reply"];

/** How the booking ends: SUCCESS with its price and what was charged, or FAILURE with the reason. */
export type Ended =
  | { status: "SUCCESS"; price: HeldPrice | null; charged: number }
  | { status: "FAILURE"; reason: string; price: HeldPrice | null };

/** 1. The booking, PENDING, in the reservation database. */
export async function insertBooking(tx: Statements, b: Booking): Promise<void> {
  await tx.run(sql`
    INSERT INTO "reservations" ("id", "guest_id", "room_id", "guest_name", "check_in", "check_out", "status",
                                "deadline_at", "updated_at")
    VALUES (${b.id}::uuid, ${b.guestId}, ${b.roomId}::uuid, ${b.guestName}, ${b.checkIn}::date, ${b.checkOut}::date,
            'PENDING', now() + interval '30 seconds', now())`);
}

interface LockedRoom {
  units: number;
  currency: string | null;
  nightlyRate: number | null;
  payment: PaymentMode;
  freeUntilHours: number;
  penaltyNights: number;
}

/** The room's units and rate plan, under its lock (the lock every change to its nights or rates takes). */
const lockRoom = (roomId: string): Query => sql`
  SELECT "units", "currency", "nightly_rate" AS "nightlyRate", "payment"::text AS "payment",
         "free_until_hours" AS "freeUntilHours", "penalty_nights" AS "penaltyNights"
  FROM "rooms" WHERE "id" = ${roomId}::uuid FOR NO KEY UPDATE`;

const stayOf = (b: Booking) => ({
  reservationId: b.id,
  roomId: b.roomId,
  quantity: 1,
  checkIn: b.checkIn,
  checkOut: b.checkOut,
});
const eachNightOf = (b: Booking, change: number) => {
  const dates = eachNight(b.checkIn, b.checkOut);
  return { roomIds: dates.map(() => b.roomId), dates, changes: dates.map(() => change) };
};

/**
 * 2. Every night of the stay or none, as the room service decides: under the room's lock, each
 * night must have a unit left; the price is fixed from the rates read under that lock and stored
 * with the hold.
 */
export async function takeTheNights(tx: Statements, b: Booking): Promise<Taken> {
  const [room] = await tx.rows<LockedRoom>(lockRoom(b.roomId));
  if (!room) return { status: "FAILURE", reason: "ROOM_NOT_FOUND" };
  const seen = await tx.rows<HoldOrNight>(readHoldsAndNights([b.id], [stayOf(b)]));
  // Held already (the step ran again after its checkpoint was lost): it takes nothing more.
  const hold = seen.find((row) => row.kind === "hold");
  if (hold?.status === "HELD") return { status: "SUCCESS", price: hold.price };
  const nights = seen.flatMap((row) => (row.kind === "night" ? [row] : []));
  if (nights.some((night) => night.taken >= room.units)) return { status: "FAILURE", reason: "NO_AVAILABILITY" };
  const { currency, nightlyRate, payment, freeUntilHours, penaltyNights } = room;
  const plan =
    currency !== null && nightlyRate !== null
      ? { currency, nightlyRate, payment, cancellation: { freeUntilHours, penaltyNights } }
      : undefined;
  const rates = new Map(nights.map((night) => [night.checkIn, night.rate ?? undefined]));
  const taken = eachNightOf(b, 1);
  const price = priceOf(plan, taken.dates, (date) => rates.get(date));
  await tx.run(takeNights(taken, [{ ...stayOf(b), price }]));
  return { status: "SUCCESS", price: price ?? null };
}

/**
 * 3. A prepaid booking's charge, as the payment service decides and writes it: under the deposit's
 * lock, the deposit pays the total or nothing moves (the payment is DECLINED with the reason).
 */
export async function chargeTheDeposit(tx: Statements, b: Booking, price: HeldPrice): Promise<Paid> {
  const { total: amount, currency } = price;
  // No delivery to record: the peer has no inbox, only the deposit's lock.
  await tx.rows(deliverAndLockDeposits([], [depositOf(b.guestId, currency)]));
  const found = await tx.rows<PaymentOrDeposit>(readPaymentsAndDeposits([b.id], [b.guestId]));
  const payment = found.find((row) => row.kind === "payment");
  const deposits: Deposits = new Map(
    found.flatMap((row) => (row.kind === "deposit" ? [[row.currency, row.balance]] : [])),
  );
  const charge = newPaymentCharge({ reservationId: b.id, guestId: b.guestId, amount, currency });
  const decision = decideCharge(charge, payment, deposits);
  await tx.run(writeMovements(decision.movement ? [decision.movement] : [], [decision.payment]));
  return decision.reply;
}

/** 3'. A declined booking's nights given back, under the room's lock, as the room service's cancel does. */
export async function releaseTheNights(tx: Statements, b: Booking): Promise<void> {
  await tx.rows(lockRoom(b.roomId));
  const [hold] = await tx.rows<{ status: string }>(lockHolds([b.id]));
  if (hold?.status !== "HELD") return;
  await tx.run(releaseNights(eachNightOf(b, -1), [b.id], []));
}

/** 4. The final state, with the price and the charge where the reservation service stores them. */
export async function endBooking(tx: Statements, id: string, end: Ended): Promise<void> {
  const reason = end.status === "FAILURE" ? end.reason : null;
  const charged = end.status === "SUCCESS" ? end.charged : 0;
  await tx.run(sql`
    UPDATE "reservations"
    SET "status" = ${end.status}::"ReservationStatus", "reason" = ${reason},
        "price" = ${end.price ? JSON.stringify(end.price) : null}::jsonb, "charged" = ${charged}::bigint,
        "completed_at" = now(), "updated_at" = now()
    WHERE "id" = ${id}::uuid`);
}

/** A price paid from the deposit when the nights are taken: what the saga charges. */
export const isPrepaid = (price: HeldPrice | null): price is HeldPrice =>
  price?.payment === "PREPAID" && price.total > 0;
