import {
  eachNight,
  type FailureReason,
  MAX_STAY_NIGHTS,
  newTransactionResult,
  nightsBetween,
  type RoomCancelMessage,
  type RoomReserveMessage,
  type Topics,
} from "@saga/contracts";
import { type Delivered, enqueue, PermanentMessageError, type SqlTransaction } from "@saga/platform";
import * as queries from "./hold-queries.js";
import { NightCounts, nightKey } from "./night-counts.js";

type Outcome = { status: "SUCCESS" } | { status: "FAILURE"; reason: FailureReason } | { status: "CANCEL" };

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

/** Records the deliveries and locks their rooms; returns the new messages in chunk order, and the rooms' units. */
async function deliver<T extends { messageId: string; roomId: string }>(tx: SqlTransaction, delivered: Delivered<T>[]) {
  const rows = await tx.rows<queries.DeliveryOrRoom>(queries.deliverAndLockRooms(delivered));
  const fresh = new Set(rows.filter((r) => r.kind === "delivery").map((r) => r.id));
  return {
    messages: delivered.map((d) => d.message).filter((m) => fresh.delete(m.messageId)),
    units: new Map(rows.filter((r) => r.kind === "room").map((r) => [r.id, r.units as number])),
  };
}

function reply(topics: Topics, tx: SqlTransaction, outcomes: { reservationId: string; outcome: Outcome }[]) {
  return enqueue(
    tx,
    outcomes.map(({ reservationId, outcome }) => {
      const result = newTransactionResult({ reservationId, ...outcome });
      return { messageId: result.messageId, topic: topics.transactionResult, key: reservationId, payload: result };
    }),
  );
}

/**
 * room-reserve: for each new message, in order, take every night of the stay or none, and reply
 * SUCCESS or FAILURE. A reservation whose cancel came first takes nothing.
 */
async function reserve(topics: Topics, tx: SqlTransaction, delivered: Delivered<RoomReserveMessage>[]) {
  const { messages, units } = await deliver(tx, delivered);
  if (messages.length === 0) return;
  const candidates = messages.filter((m) => stayIsValid(m) && units.has(m.roomId));
  const reservationIds = messages.map((m) => m.reservationId);
  const seen = await tx.rows<queries.HoldOrNight>(queries.readHoldsAndNights(reservationIds, candidates));
  const holds = new Map<string, queries.Hold>();
  const taken = new Map<string, number>();
  for (const row of seen) {
    if (row.kind === "hold") holds.set(row.reservationId, row);
    else taken.set(nightKey(row.roomId, row.checkIn), row.taken);
  }
  const nights = new NightCounts(taken);

  const takers: RoomReserveMessage[] = [];
  const decide = (m: RoomReserveMessage): Outcome => {
    const hold = holds.get(m.reservationId);
    checkAgainstHold(m, hold);
    if (hold) return hold.status === "HELD" ? { status: "SUCCESS" } : { status: "FAILURE", reason: "CANCELLED" };
    if (!stayIsValid(m)) return { status: "FAILURE", reason: "INVALID_STAY" };
    const roomUnits = units.get(m.roomId);
    if (roomUnits === undefined) return { status: "FAILURE", reason: "ROOM_NOT_FOUND" };
    const dates = eachNight(m.checkIn, m.checkOut);
    if (nights.full(m.roomId, dates, roomUnits)) return { status: "FAILURE", reason: "NO_AVAILABILITY" };
    nights.add(m.roomId, dates, 1);
    holds.set(m.reservationId, { ...m, status: "HELD" });
    takers.push(m);
    return { status: "SUCCESS" };
  };
  const outcomes = messages.map((m) => ({ reservationId: m.reservationId, outcome: decide(m) }));

  if (takers.length > 0) await tx.run(queries.takeNights(nights.columns(), takers));
  await reply(topics, tx, outcomes);
}

/**
 * room-cancel: for each new message, in order, give back exactly the nights its reservation took,
 * and reply CANCEL. A cancel that overtook its reserve (they travel on different topics) leaves a
 * RELEASED hold behind, so the reserve, when it comes, takes nothing.
 */
async function cancel(topics: Topics, tx: SqlTransaction, delivered: Delivered<RoomCancelMessage>[]) {
  const { messages, units } = await deliver(tx, delivered);
  if (messages.length === 0) return;
  const found = await tx.rows<queries.Hold>(queries.lockHolds(messages.map((m) => m.reservationId)));
  const holds = new Map(found.map((hold) => [hold.reservationId, hold]));
  const nights = new NightCounts();
  const released: string[] = [];
  const overtaken: RoomCancelMessage[] = [];
  for (const m of messages) {
    const hold = holds.get(m.reservationId);
    checkAgainstHold(m, hold);
    if (hold?.status === "HELD") {
      hold.status = "RELEASED";
      released.push(m.reservationId);
      nights.add(hold.roomId, eachNight(hold.checkIn, hold.checkOut), -1);
    } else if (!hold && units.has(m.roomId)) {
      overtaken.push(m);
      holds.set(m.reservationId, { ...m, status: "RELEASED" });
    }
  }

  if (released.length > 0 || overtaken.length > 0) {
    await tx.run(queries.releaseNights(nights.columns(), released, overtaken));
  }
  const cancelled = messages.map((m) => ({ reservationId: m.reservationId, outcome: { status: "CANCEL" } as const }));
  await reply(topics, tx, cancelled);
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
