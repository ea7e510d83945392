import {
  type ChangeRefusal,
  eachNight,
  type FailureReason,
  type HeldPrice,
  linesOf,
  MAX_STAY_NIGHTS,
  newTransactionResult,
  nightsBetween,
  type RoomCancelMessage,
  type RoomChangeMessage,
  type RoomLine,
  type RoomReserveMessage,
  sameLines,
  type Topics,
} from "@saga/contracts";
import { type Delivered, type MessageContext, PermanentMessageError } from "@saga/platform/messaging";
import type { SqlTransaction } from "@saga/platform/sql";
import * as queries from "./hold-queries.js";
import { NightCounts, nightKey } from "./night-counts.js";
import { priceAsExpected, priceOf, type RatePlan, timesUnits, together, tooLarge } from "./pricing.js";

type Outcome =
  | { status: "SUCCESS"; price?: HeldPrice }
  | { status: "FAILURE"; reason: FailureReason }
  | { status: "CANCEL" }
  | { status: "CHANGED"; changeId: string; checkIn: string; checkOut: string; price?: HeldPrice }
  | {
      status: "CHANGE_REFUSED";
      changeId: string;
      reason: ChangeRefusal;
      checkIn?: string;
      checkOut?: string;
      price?: HeldPrice;
    };

/** A room as locked for a chunk: its units, and its rate plan when it has one. */
interface LockedRoom {
  units: number;
  plan: RatePlan | undefined;
}

function lockedRoom(row: Extract<queries.DeliveryOrRoom, { kind: "room" }>): LockedRoom {
  const { units, currency, nightlyRate, payment, freeUntilHours, penaltyNights } = row;
  const plan =
    currency !== null && nightlyRate !== null
      ? { currency, nightlyRate, payment, cancellation: { freeUntilHours, penaltyNights } }
      : undefined;
  return { units, plan };
}

/** What a message did: the reply it owes, and its entry in the hold's history. */
interface Decision {
  message: { reservationId: string; messageId: string };
  outcome: Outcome;
  event: queries.HoldEvent["event"];
  /** Why, when the reply's reason does not say it. */
  note?: string;
}

export type Holds = ReturnType<typeof createHolds>;

/** A hold row no room-change was decided for yet. */
const NO_CHANGE = { lastChangeId: null, lastChangeRefusal: null };

const stayIsValid = (m: { checkIn: string; checkOut: string }) => {
  const nights = nightsBetween(m.checkIn, m.checkOut);
  return nights >= 1 && nights <= MAX_STAY_NIGHTS;
};

/** What one reservation holds (or gave back): its rows, one per room, which share a status and a stay. */
interface HoldGroup {
  status: queries.Hold["status"];
  checkIn: string;
  checkOut: string;
  rows: queries.Hold[];
}

function byReservation(rows: queries.Hold[]): Map<string, HoldGroup> {
  const groups = new Map<string, HoldGroup>();
  for (const row of rows) {
    const group = groups.get(row.reservationId) ?? { ...row, rows: [] };
    group.rows.push(row);
    groups.set(row.reservationId, group);
  }
  return groups;
}

const describe = (lines: RoomLine[], stay: { checkIn: string; checkOut: string }) =>
  `${lines.map((l) => (l.quantity === 1 ? `room ${l.roomId}` : `${l.quantity} × room ${l.roomId}`)).join(", ")} ` +
  `${stay.checkIn}..${stay.checkOut}`;

/**
 * A message about a reservation that holds (or gave back) other nights than it names is not
 * believed: the hold is what the room service did, so a message that disagrees with it, forged or
 * garbled, is set aside with the reason and frees or takes nothing.
 */
function checkAgainstHold(
  m: RoomReserveMessage | RoomCancelMessage | RoomChangeMessage,
  hold: HoldGroup | undefined,
  stay: { checkIn: string; checkOut: string } = "from" in m ? m.from : m,
): void {
  if (!hold) return;
  if (hold.checkIn === stay.checkIn && hold.checkOut === stay.checkOut && sameLines(linesOf(m), hold.rows)) return;
  throw new PermanentMessageError(
    `${m.type} for reservation ${m.reservationId} names ${describe(linesOf(m), stay)}, ` +
      `but its hold (${hold.status}) is ${describe(hold.rows, hold)}`,
    { messageId: m.messageId },
  );
}

/** Records the deliveries and locks every room they name; returns the new messages in chunk order, and the rooms. */
async function deliver<T extends RoomReserveMessage | RoomCancelMessage | RoomChangeMessage>(
  tx: SqlTransaction,
  delivered: Delivered<T>[],
) {
  const roomIds = [...new Set(delivered.flatMap((d) => linesOf(d.message).map((l) => l.roomId)))];
  const rows = await tx.rows<queries.DeliveryOrRoom>(queries.deliverAndLockRooms(delivered, roomIds));
  const fresh = new Set(rows.filter((r) => r.kind === "delivery").map((r) => r.id));
  const rooms = new Map<string, LockedRoom>();
  for (const row of rows) if (row.kind === "room") rooms.set(row.id, lockedRoom(row));
  return { messages: delivered.map((d) => d.message).filter((m) => fresh.delete(m.messageId)), rooms };
}

/** A message's units, one per room, for its stay. */
const staysOf = (m: RoomReserveMessage | RoomCancelMessage): queries.Stay[] =>
  linesOf(m).map((line) => ({ reservationId: m.reservationId, checkIn: m.checkIn, checkOut: m.checkOut, ...line }));

/**
 * Read under the rooms' locks (a statement of its own, so it sees what committed while it waited):
 * the holds of these messages' reservations, and the taken count and own rate of each night `stays` cover.
 */
async function readUnderLocks(tx: SqlTransaction, messages: { reservationId: string }[], stays: queries.Stay[]) {
  const seen = await tx.rows<queries.HoldOrNight>(
    queries.readHoldsAndNights(
      messages.map((m) => m.reservationId),
      stays,
    ),
  );
  const taken = new Map<string, number>();
  const rates = new Map<string, number>();
  for (const row of seen) {
    if (row.kind !== "night") continue;
    taken.set(nightKey(row.roomId, row.checkIn), row.taken);
    if (row.rate !== null) rates.set(nightKey(row.roomId, row.checkIn), row.rate);
  }
  const holds = byReservation(seen.filter((row): row is queries.Hold & { kind: "hold" } => row.kind === "hold"));
  return { holds, nights: new NightCounts(taken), rates };
}

/** The price of `quantity` units of a room on `dates`: each night at its own rate read, else the room's. */
const priceOfUnits = (
  plan: RatePlan | undefined,
  units: { roomId: string; quantity: number },
  dates: string[],
  rates: Map<string, number>,
) =>
  timesUnits(
    priceOf(plan, dates, (date) => rates.get(nightKey(units.roomId, date))),
    units.quantity,
  );

/** The price a hold was given, of all its rooms together, as its reply carried it. */
function heldPrice(hold: HoldGroup): HeldPrice | undefined {
  const price = together(hold.rows.map((row) => row.price ?? undefined));
  return price === "MIXED_TERMS" ? undefined : price;
}

/** Where each message of a chunk came from, by its id: its reply carries its trace on. */
const contexts = (delivered: Delivered<{ messageId: string }>[]) =>
  new Map<string, MessageContext>(delivered.map((d) => [d.message.messageId, d.context]));

/** The replies owed and the hold history's entries, in one statement. */
function reply(topics: Topics, tx: SqlTransaction, decisions: Decision[], from: Map<string, MessageContext>) {
  const replies = decisions.map(({ message: { reservationId, messageId }, outcome }) => {
    const result = newTransactionResult({ reservationId, ...outcome });
    const headers = from.get(messageId)?.trace;
    return {
      messageId: result.messageId,
      topic: topics.transactionResult,
      key: reservationId,
      payload: result,
      headers,
    };
  });
  const events = decisions.map(({ message, outcome, event, note }) => ({
    reservationId: message.reservationId,
    messageId: message.messageId,
    event,
    reason: note ?? ("reason" in outcome ? outcome.reason : null),
    traceId: from.get(message.messageId)?.traceId ?? null,
  }));
  return tx.run(queries.replyAndRecord(replies, events));
}

/**
 * room-reserve: for each new message, in order, take every unit of every night of the stay, in
 * every room it names, or none, and reply SUCCESS (with the price of them all) or FAILURE. A
 * reservation whose cancel came first takes nothing.
 */
async function reserve(topics: Topics, tx: SqlTransaction, delivered: Delivered<RoomReserveMessage>[]) {
  const { messages, rooms } = await deliver(tx, delivered);
  if (messages.length === 0) return;
  const candidates = messages.filter((m) => stayIsValid(m)).flatMap(staysOf);
  const { holds, nights, rates } = await readUnderLocks(
    tx,
    messages,
    candidates.filter((s) => rooms.has(s.roomId)),
  );

  const takers: (queries.Stay & { price?: HeldPrice })[] = [];
  const refused = (message: RoomReserveMessage, reason: FailureReason): Decision => ({
    message,
    outcome: { status: "FAILURE", reason },
    event: "REFUSED",
  });
  const decide = (m: RoomReserveMessage): Decision => {
    const hold = holds.get(m.reservationId);
    checkAgainstHold(m, hold);
    if (hold?.status === "HELD") {
      const price = heldPrice(hold);
      return { message: m, outcome: { status: "SUCCESS", price }, event: "UNCHANGED", note: "held already" };
    }
    if (hold) return refused(m, "CANCELLED");
    if (!stayIsValid(m)) return refused(m, "INVALID_STAY");
    const stays = staysOf(m);
    const locked = stays.map((s) => rooms.get(s.roomId));
    if (locked.some((room) => room === undefined)) return refused(m, "ROOM_NOT_FOUND");
    const dates = eachNight(m.checkIn, m.checkOut);
    const room = (i: number) => locked[i] as LockedRoom;
    if (stays.some((s, i) => nights.lacks(s.roomId, dates, room(i).units, s.quantity)))
      return refused(m, "NO_AVAILABILITY");
    // The price is fixed here: under the rooms' locks, from the rates read under them, in this transaction.
    const prices = stays.map((s, i) => priceOfUnits(room(i).plan, s, dates, rates));
    const price = together(prices);
    if (price === "MIXED_TERMS") return refused(m, "MIXED_TERMS");
    if (tooLarge(price)) return refused(m, "TOTAL_TOO_LARGE");
    if (!priceAsExpected(price, "expectedTotal" in m ? m.expectedTotal : undefined)) return refused(m, "PRICE_CHANGED");
    const rows = stays.map((s, i) => ({ ...s, status: "HELD" as const, price: prices[i] ?? null, ...NO_CHANGE }));
    for (const s of stays) nights.add(s.roomId, dates, s.quantity);
    holds.set(m.reservationId, { status: "HELD", checkIn: m.checkIn, checkOut: m.checkOut, rows });
    takers.push(...stays.map((s, i) => ({ ...s, price: prices[i] })));
    return { message: m, outcome: { status: "SUCCESS", price }, event: "TAKEN" };
  };
  const decisions = messages.map(decide);

  if (takers.length > 0) await tx.run(queries.takeNights(nights.columns(), takers));
  await reply(topics, tx, decisions, contexts(delivered));
}

/**
 * room-cancel: for each new message, in order, give back exactly the units its reservation took,
 * in every room, and reply CANCEL. A cancel that overtook its reserve (they travel on different
 * topics) leaves RELEASED holds behind, so the reserve, when it comes, takes nothing.
 */
async function cancel(topics: Topics, tx: SqlTransaction, delivered: Delivered<RoomCancelMessage>[]) {
  const { messages, rooms } = await deliver(tx, delivered);
  if (messages.length === 0) return;
  const holds = byReservation(await tx.rows<queries.Hold>(queries.lockHolds(messages.map((m) => m.reservationId))));
  const nights = new NightCounts();
  const released: string[] = [];
  const overtaken: queries.Stay[] = [];
  const decide = (m: RoomCancelMessage): Decision => {
    const done = (event: Decision["event"], note?: string): Decision => ({
      message: m,
      outcome: { status: "CANCEL" },
      event,
      note,
    });
    const hold = holds.get(m.reservationId);
    checkAgainstHold(m, hold);
    if (hold?.status === "HELD") {
      hold.status = "RELEASED";
      released.push(m.reservationId);
      for (const row of hold.rows) nights.add(row.roomId, eachNight(hold.checkIn, hold.checkOut), -row.quantity);
      return done("RELEASED");
    }
    if (hold) return done("UNCHANGED", "released already");
    const stays = staysOf(m);
    if (stays.some((s) => !rooms.has(s.roomId))) return done("UNCHANGED", "no such room");
    overtaken.push(...stays);
    const rows = stays.map((s) => ({ ...s, status: "RELEASED" as const, price: null, ...NO_CHANGE }));
    holds.set(m.reservationId, { status: "RELEASED", checkIn: m.checkIn, checkOut: m.checkOut, rows });
    return done("RELEASED", "before its room-reserve: it will take nothing");
  };
  const decisions = messages.map(decide);

  if (released.length > 0 || overtaken.length > 0) {
    await tx.run(queries.releaseNights(nights.columns(), released, overtaken));
  }
  await reply(topics, tx, decisions, contexts(delivered));
}

/**
 * room-change: for each new message, in order, move the booking's hold to the new dates in every
 * room it holds: the nights of the new stay it does not hold yet are taken and those of the old one
 * it no longer needs given back, all or none, priced at today's rates; reply CHANGED with the new
 * price, or CHANGE_REFUSED leaving the hold as it was. A change its hold already made answers
 * CHANGED again and moves nothing.
 */
async function change(topics: Topics, tx: SqlTransaction, delivered: Delivered<RoomChangeMessage>[]) {
  const { messages, rooms } = await deliver(tx, delivered);
  if (messages.length === 0) return;
  const targets = messages
    .filter((m) => stayIsValid(m.to))
    .flatMap((m) => m.rooms.map((line) => ({ reservationId: m.reservationId, ...m.to, ...line })));
  const { holds, nights, rates } = await readUnderLocks(tx, messages, targets);
  const moved = new Map<string, queries.MovedHold>();
  const decided: { reservationId: string; changeId: string; refusal: string | null }[] = [];

  const decide = (m: RoomChangeMessage): Decision => {
    const hold = holds.get(m.reservationId);
    if (hold?.status !== "HELD") {
      const outcome = { status: "CHANGE_REFUSED" as const, changeId: m.changeId, reason: "NOT_HELD" as const };
      return { message: m, outcome, event: "REFUSED" };
    }
    const { checkIn, checkOut } = hold;
    const decide = (refusal: ChangeRefusal | null) => {
      decided.push({ reservationId: m.reservationId, changeId: m.changeId, refusal });
      for (const row of hold.rows) {
        row.lastChangeId = m.changeId;
        row.lastChangeRefusal = refusal;
      }
    };
    const refused = (reason: ChangeRefusal): Decision => {
      decide(reason);
      return {
        message: m,
        outcome: { status: "CHANGE_REFUSED", changeId: m.changeId, reason, checkIn, checkOut, price: heldPrice(hold) },
        event: "REFUSED",
      };
    };
    if (hold.checkIn === m.to.checkIn && hold.checkOut === m.to.checkOut && sameLines(m.rooms, hold.rows)) {
      const outcome = { status: "CHANGED" as const, changeId: m.changeId, ...m.to, price: heldPrice(hold) };
      return { message: m, outcome, event: "UNCHANGED", note: "changed already" };
    }
    // A copy of a change refused before (sent again before its answer came) is refused again: decided
    // anew, it could move the hold after the booking took the refusal and moved on.
    const last = hold.rows[0];
    if (last?.lastChangeId === m.changeId && last.lastChangeRefusal !== null) {
      const reason = last.lastChangeRefusal as ChangeRefusal;
      const outcome = {
        status: "CHANGE_REFUSED" as const,
        changeId: m.changeId,
        reason,
        checkIn,
        checkOut,
        price: heldPrice(hold),
      };
      return { message: m, outcome, event: "UNCHANGED", note: `refused already (${reason})` };
    }
    checkAgainstHold(m, hold);
    if (!stayIsValid(m.to)) return refused("INVALID_STAY");
    const before = eachNight(m.from.checkIn, m.from.checkOut);
    const after = eachNight(m.to.checkIn, m.to.checkOut);
    const room = (roomId: string) => rooms.get(roomId) as LockedRoom;
    // The booking's own nights are free to it: give them back first, take them again if it cannot move.
    for (const row of hold.rows) nights.add(row.roomId, before, -row.quantity);
    const undo = (reason: ChangeRefusal) => {
      for (const row of hold.rows) nights.add(row.roomId, before, row.quantity);
      return refused(reason);
    };
    if (hold.rows.some((row) => nights.lacks(row.roomId, after, room(row.roomId).units, row.quantity)))
      return undo("NO_AVAILABILITY");
    const prices = hold.rows.map((row) => priceOfUnits(room(row.roomId).plan, row, after, rates));
    const price = together(prices);
    if (price === "MIXED_TERMS") return undo("MIXED_TERMS");
    if (tooLarge(price)) return undo("TOTAL_TOO_LARGE");
    if (!priceAsExpected(price, m.expectedTotal)) return undo("PRICE_CHANGED");
    hold.rows.forEach((row, i) => {
      nights.add(row.roomId, after, row.quantity);
      row.price = prices[i] ?? null;
      row.checkIn = m.to.checkIn;
      row.checkOut = m.to.checkOut;
      moved.set(`${row.reservationId}/${row.roomId}`, { ...row });
    });
    hold.checkIn = m.to.checkIn;
    hold.checkOut = m.to.checkOut;
    decide(null);
    return { message: m, outcome: { status: "CHANGED", changeId: m.changeId, ...m.to, price }, event: "CHANGED" };
  };
  const decisions = messages.map(decide);

  if (moved.size > 0) await tx.run(queries.moveHolds(nights.columns(), [...moved.values()]));
  if (decided.length > 0) await tx.run(queries.recordChanges(decided));
  await reply(topics, tx, decisions, contexts(delivered));
}

/**
 * The room service's side of the saga. room-reserve and room-cancel are applied a chunk at a time,
 * in the consumer's transaction, in a fixed number of round trips whatever the chunk's size: record
 * the deliveries and lock the rooms, read what the chunk needs under those locks, work out every
 * outcome in order, write them all. A redelivery changes nothing.
 */
export function createHolds({ topics }: { topics: Topics }) {
  return {
    reserve: (tx: SqlTransaction, delivered: Delivered<RoomReserveMessage>[]) => reserve(topics, tx, delivered),
    cancel: (tx: SqlTransaction, delivered: Delivered<RoomCancelMessage>[]) => cancel(topics, tx, delivered),
    change: (tx: SqlTransaction, delivered: Delivered<RoomChangeMessage>[]) => change(topics, tx, delivered),
  };
}
