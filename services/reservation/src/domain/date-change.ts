import { eachNight, formatDate } from "@saga/contracts";
import { AppError, notFound, type Principal } from "@saga/platform/http";
import { traceIdOf } from "@saga/platform/tracing";
import type { Booking, ChangeBody, ChangeQuote } from "../schemas/reservations.js";
import { cannotChange, changePenalty, onChange } from "./change-saga.js";
import type { ReservationsDeps } from "./deps.js";
import { advance, progressOf } from "./progress.js";
import { visibleTo } from "./reading.js";
import * as queries from "./reservation-queries.js";
import { prepaid, type SagaState, type Stay, sameStay } from "./saga.js";

const invalid = (code: string, message: string, field: string, why: string) =>
  new AppError(400, code, message, [{ field, message: why }]);

/** Why a booking's dates cannot move to `to` now (400 or 409), checked under its lock and again by the quote. */
function refuseChange(id: string, state: SagaState, to: Stay, now: Date): AppError | undefined {
  const refused = cannotChange(state);
  if (refused) return new AppError(409, refused.code, `reservation ${id} cannot change: ${refused.why}`);
  // The stay began (or begins today, in UTC): its nights are the hotel's to manage now.
  if (state.checkIn <= formatDate(now)) {
    return invalid(
      "STAY_BEGUN",
      `reservation ${id} cannot change: its stay began on ${state.checkIn}`,
      "params.id",
      "the stay has begun",
    );
  }
  if (sameStay(state, to)) {
    return invalid(
      "SAME_DATES",
      `reservation ${id} is already at these dates`,
      "body.checkIn",
      "already the booking's dates",
    );
  }
  return undefined;
}

/**
 * The room service's word on a booking's rooms at other dates: whether every unit is free on every
 * night (its own units count as free on the nights it holds) and the new total of them all at
 * today's rates (null when a room has no rate plan, or the rooms differ in currency).
 */
async function offerFor(deps: ReservationsDeps, row: queries.SagaRow, to: Stay) {
  const offers = await Promise.all(row.rooms.map((line) => deps.roomCatalog.offer(line.roomId, to)));
  const own = new Set(eachNight(row.checkIn, row.checkOut));
  const available = row.rooms.every((line, i) =>
    eachNight(to.checkIn, to.checkOut).every(
      (date) => (offers[i]?.left.get(date) ?? 0) + (own.has(date) ? line.quantity : 0) >= line.quantity,
    ),
  );
  const currencies = new Set(offers.map((o) => o.total?.currency ?? null));
  const currency = currencies.size === 1 ? [...currencies][0] : null;
  const newTotal = currency
    ? {
        amount: offers.reduce((sum, o, i) => sum + (o.total?.amount ?? 0) * (row.rooms[i]?.quantity ?? 0), 0),
        currency,
      }
    : null;
  return { available, newTotal };
}

/** A booking the caller may see, read without a lock. */
async function visibleRow(deps: ReservationsDeps, caller: Principal, id: string) {
  const [row] = await deps.sql.rows<queries.SagaRow>(queries.sagaRow(id));
  if (!row || !visibleTo(caller, row)) throw notFound(`reservation ${id}`);
  return row;
}

/**
 * What moving a booking to `to` would do now, from the room service's public quote and
 * availability of each of its rooms (the booking's own units count as free on the nights it holds):
 * whether every unit is free, the new total at today's rates, the difference, and the penalty a
 * prepaid booking keeps of a cheaper stay under its cancellation policy. Nothing is held.
 */
export async function quoteChange(
  deps: ReservationsDeps,
  caller: Principal,
  id: string,
  to: Stay,
): Promise<ChangeQuote> {
  const row = await visibleRow(deps, caller, id);
  const state = progressOf(row).state;
  const now = new Date();
  const refused = refuseChange(id, state, to, now);
  if (refused) throw refused;
  const { available, newTotal } = await offerFor(deps, row, to);
  const price = state.price;
  const difference =
    newTotal && price && price.currency === newTotal.currency
      ? { amount: newTotal.amount - price.total, currency: newTotal.currency }
      : null;
  const penalty =
    difference === null || newTotal === null
      ? null
      : { amount: changePenalty(state, now), currency: difference.currency };
  return { reservationId: id, ...to, available, newTotal, difference, penalty };
}

const changesOff = () =>
  new AppError(
    400,
    "DATE_CHANGES_DISABLED",
    "Date changes are not enabled here yet: cancel and book again, or try later",
    [{ field: "body", message: "date changes are not enabled (DATE_CHANGES is off)" }],
  );

/**
 * A guest's (or staff's) date change of a confirmed booking: CHANGE_PENDING, and the room-change
 * it owes, in one statement. The room service moves every room's nights at once or none; its
 * answer brings the booking back to SUCCESS at the new dates or its old ones (`lastChange`).
 */
export async function requestChange(
  deps: ReservationsDeps,
  caller: Principal,
  id: string,
  body: ChangeBody,
): Promise<Booking> {
  // Until every room service reads room-change, no change is sent (docs/decisions.md).
  if (!deps.dateChanges) throw changesOff();
  const to = { checkIn: body.checkIn, checkOut: body.checkOut };
  // A prepaid booking's new total is known before anything moves: it is charged first when higher.
  // Quoted here (outside any lock), it is named in the room-change, which moves nothing at another price.
  const peek = await visibleRow(deps, caller, id);
  const quoted = prepaid(peek.price) ? (await offerFor(deps, peek, to)).newTotal : null;
  if (prepaid(peek.price)) {
    if (!quoted) {
      throw new AppError(
        409,
        "NOT_PRICEABLE",
        `reservation ${id} cannot change: its rooms have no one price at these dates`,
      );
    }
    // A stale quote moves no money: the guest is told today's total at once.
    const asked = body.expectedTotal;
    if (asked && (asked.amount !== quoted.amount || asked.currency !== quoted.currency)) {
      throw new AppError(
        409,
        "PRICE_CHANGED",
        `reservation ${id}: the new stay costs ${quoted.amount} ${quoted.currency} today, not ${asked.amount} ${asked.currency}`,
        [{ field: "body.expectedTotal", message: `is not today's total (${quoted.amount} ${quoted.currency})` }],
      );
    }
  }
  return deps.sql.transaction(async (tx) => {
    const [row] = await tx.rows<queries.SagaRow>(queries.lockBooking(id));
    if (!row || !visibleTo(caller, row)) throw notFound(`reservation ${id}`);
    const progress = progressOf(row);
    const now = new Date();
    const refused = refuseChange(id, progress.state, to, now);
    if (refused) throw refused;
    const step = onChange(progress.state, to, quoted ?? body.expectedTotal, now);
    const owed = advance(deps.topics, progress, step, { messageId: null, traceId: traceIdOf() ?? null }, now);
    const [changed] = await tx.rows<Booking>(queries.writeUpdates([progress.update], owed, "http", deps));
    return changed as Booking;
  });
}
