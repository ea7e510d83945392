import {
  eachNight,
  type FailureReason,
  type HeldPrice,
  MAX_STAY_NIGHTS,
  newTransactionResult,
  nightsBetween,
  type RoomCancelMessage,
  type RoomReserveMessage,
  type Topics,
} from "@saga/contracts";
import { type Delivered, type MessageContext, PermanentMessageError } from "@saga/platform/messaging";
import type { SqlTransaction } from "@saga/platform/sql";
import * as queries from "./hold-queries.js";
import { NightCounts, nightKey } from "./night-counts.js";
import { priceAsExpected, priceOf, type RatePlan } from "./pricing.js";

type Outcome =
  | { status: "SUCCESS"; price?: HeldPrice }
  | { status: "FAILURE"; reason: FailureReason }
  | { status: "CANCEL" };

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

const stayIsValid = (m: queries.Stay) => {
  const nights = nightsBetween(m.checkIn, m.checkOut);
  return nights >= 1 && nights <= MAX_STAY_NIGHTS;
};

/**
 * A message about a reservation that holds (or gave back) other nights than it names is not
 * believed: the hold is what the room service did, so a message that disagrees with it, forged or
 * garbled, is set aside with the reason and frees or takes nothing.
 */
function checkAgainstHold(m: RoomReserveMessage | RoomCancelMessage, hold: queries.Hold | undefined): void {
  if (!hold || (hold.roomId === m.roomId && hold.checkIn === m.checkIn && hold.checkOut === m.checkOut)) return;
  throw new PermanentMessageError(
    `${m.type} for reservation ${m.reservationId} names room ${m.roomId} ${m.checkIn}..${m.checkOut}, ` +
      `but its hold (${hold.status}) is room ${hold.roomId} ${hold.checkIn}..${hold.checkOut}`,
    { messageId: m.messageId },
  );
}

/** Records the deliveries and locks their rooms; returns the new messages in chunk order, and the rooms. */
async function deliver<T extends { messageId: string; roomId: string }>(tx: SqlTransaction, delivered: Delivered<T>[]) {
  const rows = await tx.rows<queries.DeliveryOrRoom>(queries.deliverAndLockRooms(delivered));
  const fresh = new Set(rows.filter((r) => r.kind === "delivery").map((r) => r.id));
  const rooms = new Map<string, LockedRoom>();
  for (const row of rows) if (row.kind === "room") rooms.set(row.id, lockedRoom(row));
  return { messages: delivered.map((d) => d.message).filter((m) => fresh.delete(m.messageId)), rooms };
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
    reason: note ?? (outcome.status === "FAILURE" ? outcome.reason : null),
    traceId: from.get(message.messageId)?.traceId ?? null,
  }));
  return tx.run(queries.replyAndRecord(replies, events));
}

/**
 * room-reserve: for each new message, in order, take every night of the stay or none, and reply
 * SUCCESS or FAILURE. A reservation whose cancel came first takes nothing.
 */
async function reserve(topics: Topics, tx: SqlTransaction, delivered: Delivered<RoomReserveMessage>[]) {
  const { messages, rooms } = await deliver(tx, delivered);
  if (messages.length === 0) return;
  const candidates = messages.filter((m) => stayIsValid(m) && rooms.has(m.roomId));
  const reservationIds = messages.map((m) => m.reservationId);
  const seen = await tx.rows<queries.HoldOrNight>(queries.readHoldsAndNights(reservationIds, candidates));
  const holds = new Map<string, queries.Hold>();
  const taken = new Map<string, number>();
  const rates = new Map<string, number>();
  for (const row of seen) {
    if (row.kind === "hold") holds.set(row.reservationId, row);
    else {
      taken.set(nightKey(row.roomId, row.checkIn), row.taken);
      if (row.rate !== null) rates.set(nightKey(row.roomId, row.checkIn), row.rate);
    }
  }
  const nights = new NightCounts(taken);

  const takers: (RoomReserveMessage & { price?: HeldPrice })[] = [];
  const refused = (message: RoomReserveMessage, reason: FailureReason): Decision => ({
    message,
    outcome: { status: "FAILURE", reason },
    event: "REFUSED",
  });
  const decide = (m: RoomReserveMessage): Decision => {
    const hold = holds.get(m.reservationId);
    checkAgainstHold(m, hold);
    if (hold?.status === "HELD") {
      const price = hold.price ?? undefined;
      return { message: m, outcome: { status: "SUCCESS", price }, event: "UNCHANGED", note: "held already" };
    }
    if (hold) return refused(m, "CANCELLED");
    if (!stayIsValid(m)) return refused(m, "INVALID_STAY");
    const room = rooms.get(m.roomId);
    if (room === undefined) return refused(m, "ROOM_NOT_FOUND");
    const dates = eachNight(m.checkIn, m.checkOut);
    if (nights.full(m.roomId, dates, room.units)) return refused(m, "NO_AVAILABILITY");
    // The price is fixed here: under the room's lock, from the rates read under it, in this transaction.
    const price = priceOf(room.plan, dates, (date) => rates.get(nightKey(m.roomId, date)));
    if (!priceAsExpected(price, "expectedTotal" in m ? m.expectedTotal : undefined)) return refused(m, "PRICE_CHANGED");
    nights.add(m.roomId, dates, 1);
    holds.set(m.reservationId, { ...m, status: "HELD", price: price ?? null });
    takers.push({ ...m, price });
    return { message: m, outcome: { status: "SUCCESS", price }, event: "TAKEN" };
  };
  const decisions = messages.map(decide);

  if (takers.length > 0) await tx.run(queries.takeNights(nights.columns(), takers));
  await reply(topics, tx, decisions, contexts(delivered));
}

/**
 * room-cancel: for each new message, in order, give back exactly the nights its reservation took,
 * and reply CANCEL. A cancel that overtook its reserve (they travel on different topics) leaves a
 * RELEASED hold behind, so the reserve, when it comes, takes nothing.
 */
async function cancel(topics: Topics, tx: SqlTransaction, delivered: Delivered<RoomCancelMessage>[]) {
  const { messages, rooms } = await deliver(tx, delivered);
  if (messages.length === 0) return;
  const found = await tx.rows<queries.Hold>(queries.lockHolds(messages.map((m) => m.reservationId)));
  const holds = new Map(found.map((hold) => [hold.reservationId, hold]));
  const nights = new NightCounts();
  const released: string[] = [];
  const overtaken: RoomCancelMessage[] = [];
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
      nights.add(hold.roomId, eachNight(hold.checkIn, hold.checkOut), -1);
      return done("RELEASED");
    }
    if (hold) return done("UNCHANGED", "released already");
    if (!rooms.has(m.roomId)) return done("UNCHANGED", "no such room");
    overtaken.push(m);
    holds.set(m.reservationId, { ...m, status: "RELEASED", price: null });
    return done("RELEASED", "before its room-reserve: it will take nothing");
  };
  const decisions = messages.map(decide);

  if (released.length > 0 || overtaken.length > 0) {
    await tx.run(queries.releaseNights(nights.columns(), released, overtaken));
  }
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
  };
}
