import {
  eachNight,
  type FailureReason,
  MAX_STAY_NIGHTS,
  newTransactionResult,
  nightsBetween,
  type RoomCancelMessage,
  type RoomReserveMessage,
} from "@saga/contracts";
import { type Delivered, enqueue, PermanentMessageError, type SqlTx } from "@saga/platform";
import type { RoomDeps } from "./deps.js";

/** The consumer's transaction (plain SQL: see sqlTransactions). */
export type Tx = SqlTx;
type Outcome = { status: "SUCCESS" } | { status: "FAILURE"; reason: FailureReason } | { status: "CANCEL" };
type HoldStatus = "HELD" | "RELEASED";

/** What a reservation took (HELD) or gave back (RELEASED), as recorded: the truth about its nights. */
interface Hold {
  reservationId: string;
  roomId: string;
  checkIn: string;
  checkOut: string;
  status: HoldStatus;
}

/** Holds of the given reservations, locked, read under the rooms' locks. */
async function readHolds(tx: Tx, reservationIds: string[]): Promise<Map<string, Hold>> {
  const rows = await tx.$queryRaw<Hold[]>`
    SELECT "reservation_id"::text AS "reservationId", "room_id"::text AS "roomId", "status"::text AS "status",
           to_char("check_in", 'YYYY-MM-DD') AS "checkIn", to_char("check_out", 'YYYY-MM-DD') AS "checkOut"
    FROM "holds" WHERE "reservation_id" = ANY(${reservationIds}::uuid[])
    ORDER BY "reservation_id" FOR UPDATE`;
  return new Map(rows.map((hold) => [hold.reservationId, hold]));
}

/**
 * A message about a reservation that holds (or gave back) other nights than it names is not
 * believed: the hold is what the room service did, so a message that disagrees with it, forged or
 * garbled, is set aside with the reason and frees or takes nothing.
 */
function checkAgainstHold(m: RoomReserveMessage | RoomCancelMessage, hold: Hold | undefined): void {
  if (!hold || (hold.roomId === m.roomId && hold.checkIn === m.checkIn && hold.checkOut === m.checkOut)) return;
  throw new PermanentMessageError(
    `${m.type} for reservation ${m.reservationId} names room ${m.roomId} ${m.checkIn}..${m.checkOut}, ` +
      `but its hold (${hold.status}) is room ${hold.roomId} ${hold.checkIn}..${hold.checkOut}`,
    { messageId: m.messageId },
  );
}

/**
 * room-reserve and room-cancel are applied a chunk at a time, in the consumer's transaction, in a
 * fixed number of round trips whatever the chunk's size: record the deliveries and lock the rooms,
 * read what the chunk needs under those locks, work out every outcome in order, write them all.
 */

/**
 * Records the deliveries and locks their rooms in one round trip. Returns the messages that are
 * new, in chunk order (a redelivery, or a second copy in the same chunk, is not), and each existing
 * room's units. Rooms are locked in id order, so two transactions locking several rooms never
 * deadlock; every change to a room's nights holds its lock.
 */
async function deliverAndLockRooms<T extends { messageId: string; roomId: string }>(
  tx: Tx,
  delivered: Delivered<T>[],
): Promise<{ messages: T[]; units: Map<string, number> }> {
  const rows = await tx.$queryRaw<{ kind: "delivery" | "room"; id: string; units: number | null }[]>`
    WITH delivery AS (
      INSERT INTO "inbox" ("message_id", "topic")
      SELECT * FROM unnest(${delivered.map((d) => d.message.messageId)}::uuid[], ${delivered.map((d) => d.context.topic)}::text[])
      ON CONFLICT DO NOTHING RETURNING "message_id"
    ), room AS (
      SELECT "id", "units" FROM "rooms"
      WHERE "id" = ANY(${delivered.map((d) => d.message.roomId)}::uuid[]) ORDER BY "id" FOR NO KEY UPDATE
    )
    SELECT 'delivery' AS "kind", "message_id"::text AS "id", NULL::int AS "units" FROM delivery
    UNION ALL
    SELECT 'room', "id"::text, "units" FROM room`;
  const fresh = new Set(rows.filter((r) => r.kind === "delivery").map((r) => r.id));
  return {
    messages: delivered.map((d) => d.message).filter((m) => fresh.delete(m.messageId)),
    units: new Map(rows.filter((r) => r.kind === "room").map((r) => [r.id, r.units as number])),
  };
}

const nightKey = (roomId: string, date: string) => `${roomId}/${date}`;

/** Nights taken per room and date as read under the locks, changed in memory as the chunk is worked out. */
class NightCounts {
  private readonly changes = new Map<string, { roomId: string; date: string; change: number }>();
  constructor(private readonly taken: Map<string, number>) {}

  full(roomId: string, dates: string[], units: number): boolean {
    return dates.some((date) => (this.taken.get(nightKey(roomId, date)) ?? 0) >= units);
  }

  add(roomId: string, dates: string[], change: number) {
    for (const date of dates) {
      const key = nightKey(roomId, date);
      this.taken.set(key, (this.taken.get(key) ?? 0) + change);
      const entry = this.changes.get(key) ?? { roomId, date, change: 0 };
      entry.change += change;
      this.changes.set(key, entry);
    }
  }

  /** Each night changed once, as columns for unnest. */
  columns() {
    const rows = [...this.changes.values()].filter((c) => c.change !== 0);
    return { roomIds: rows.map((r) => r.roomId), dates: rows.map((r) => r.date), changes: rows.map((r) => r.change) };
  }
}

async function reply(
  tx: Tx,
  { topics }: Pick<RoomDeps, "topics">,
  outcomes: { reservationId: string; outcome: Outcome }[],
) {
  await enqueue(
    tx,
    outcomes.map(({ reservationId, outcome }) => {
      const result = newTransactionResult({ reservationId, ...outcome });
      return { messageId: result.messageId, topic: topics.transactionResult, key: reservationId, payload: result };
    }),
  );
}

/**
 * room-reserve: for each new message, in order, take every night of the stay or none, and reply
 * SUCCESS or FAILURE. A reservation whose cancel came first takes nothing. A redelivery changes nothing.
 */
export async function reserveRooms(
  tx: Tx,
  deps: Pick<RoomDeps, "topics">,
  delivered: Delivered<RoomReserveMessage>[],
): Promise<void> {
  const { messages, units } = await deliverAndLockRooms(tx, delivered);
  if (messages.length === 0) return;
  const stayIsValid = (m: RoomReserveMessage) => {
    const nights = nightsBetween(m.checkIn, m.checkOut);
    return nights >= 1 && nights <= MAX_STAY_NIGHTS;
  };
  const candidates = messages.filter((m) => stayIsValid(m) && units.has(m.roomId));

  // Read under the rooms' locks (a statement of its own, so it sees what committed while it waited):
  // the holds of every reservation in the chunk, and the nights the valid stays would take.
  const seen = await tx.$queryRaw<(Hold & { kind: "hold" | "night"; taken: number | null })[]>`
    SELECT 'hold' AS "kind", "reservation_id"::text AS "reservationId", "room_id"::text AS "roomId",
           to_char("check_in", 'YYYY-MM-DD') AS "checkIn", to_char("check_out", 'YYYY-MM-DD') AS "checkOut",
           "status"::text AS "status", NULL::int AS "taken"
    FROM "holds" WHERE "reservation_id" = ANY(${messages.map((m) => m.reservationId)}::uuid[])
    UNION ALL
    SELECT DISTINCT 'night', NULL, n."room_id"::text, to_char(n."date", 'YYYY-MM-DD'), NULL, NULL, n."taken"
    FROM unnest(${candidates.map((m) => m.roomId)}::uuid[], ${candidates.map((m) => m.checkIn)}::date[],
                ${candidates.map((m) => m.checkOut)}::date[]) AS s("room_id", "check_in", "check_out")
    JOIN "room_nights" n ON n."room_id" = s."room_id" AND n."date" >= s."check_in" AND n."date" < s."check_out"`;
  const holds = new Map(seen.filter((r) => r.kind === "hold").map((r) => [r.reservationId, r as Hold]));
  const nights = new NightCounts(
    new Map(seen.filter((r) => r.kind === "night").map((r) => [nightKey(r.roomId, r.checkIn), r.taken ?? 0])),
  );

  const taken: RoomReserveMessage[] = [];
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
    taken.push(m);
    return { status: "SUCCESS" };
  };
  const outcomes = messages.map((m) => ({ reservationId: m.reservationId, outcome: decide(m) }));

  if (taken.length > 0) {
    const changed = nights.columns();
    await tx.$executeRaw`
      WITH nights AS (
        INSERT INTO "room_nights" ("room_id", "date", "taken")
        SELECT * FROM unnest(${changed.roomIds}::uuid[], ${changed.dates}::date[], ${changed.changes}::int[])
        ON CONFLICT ("room_id", "date") DO UPDATE SET "taken" = "room_nights"."taken" + EXCLUDED."taken"
      )
      INSERT INTO "holds" ("reservation_id", "room_id", "check_in", "check_out", "status")
      SELECT *, 'HELD'::"HoldStatus"
      FROM unnest(${taken.map((m) => m.reservationId)}::uuid[], ${taken.map((m) => m.roomId)}::uuid[],
                  ${taken.map((m) => m.checkIn)}::date[], ${taken.map((m) => m.checkOut)}::date[])`;
  }
  await reply(tx, deps, outcomes);
}

/**
 * room-cancel: for each new message, in order, give back exactly the nights its reservation took,
 * and reply CANCEL. A cancel that overtook its reserve (they travel on different topics) leaves a
 * RELEASED hold behind, so the reserve, when it comes, takes nothing. A redelivery changes nothing.
 */
export async function cancelRooms(
  tx: Tx,
  deps: Pick<RoomDeps, "topics">,
  delivered: Delivered<RoomCancelMessage>[],
): Promise<void> {
  const { messages, units } = await deliverAndLockRooms(tx, delivered);
  if (messages.length === 0) return;
  const holds = await readHolds(
    tx,
    messages.map((m) => m.reservationId),
  );
  const nights = new NightCounts(new Map());
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
      // The cancel overtook its reserve: remembered as given back, so the reserve takes nothing.
      overtaken.push(m);
      holds.set(m.reservationId, { ...m, status: "RELEASED" });
    }
  }

  if (released.length > 0 || overtaken.length > 0) {
    const changed = nights.columns();
    await tx.$executeRaw`
      WITH remembered AS (
        INSERT INTO "holds" ("reservation_id", "room_id", "check_in", "check_out", "status", "released_at")
        SELECT *, 'RELEASED'::"HoldStatus", now()
        FROM unnest(${overtaken.map((m) => m.reservationId)}::uuid[], ${overtaken.map((m) => m.roomId)}::uuid[],
                    ${overtaken.map((m) => m.checkIn)}::date[], ${overtaken.map((m) => m.checkOut)}::date[])
      ), released AS (
        UPDATE "holds" SET "status" = 'RELEASED', "released_at" = now()
        WHERE "reservation_id" = ANY(${released}::uuid[])
      )
      UPDATE "room_nights" AS n SET "taken" = n."taken" + c."change"
      FROM unnest(${changed.roomIds}::uuid[], ${changed.dates}::date[], ${changed.changes}::int[]) AS c("room_id", "date", "change")
      WHERE n."room_id" = c."room_id" AND n."date" = c."date"`;
  }
  await reply(
    tx,
    deps,
    messages.map((m) => ({ reservationId: m.reservationId, outcome: { status: "CANCEL" } })),
  );
}
