import { formatDate } from "@saga/contracts";
import { type SigningSettings, tokenSigner } from "@saga/ops/tokens";
import type pg from "pg";

export interface BenchRooms {
  ids: string[];
  /** Request i books roomIds[i % n]: a few hot rooms appear often, the many others rarely. */
  roomIds: string[];
  stays: { checkIn: string; checkOut: string }[];
}

/** The bench's guests: `bench-guest-0` to `bench-guest-999`, each booking with a token of its own. */
export const GUESTS = 1_000;
export const benchGuest = (i: number) => `bench-guest-${i % GUESTS}`;

/** How a bench room is paid: at the hotel (no money moves in the saga) or prepaid from the guest's deposit. */
export type BookingKind = "AT_HOTEL" | "PREPAID";
export const KINDS: readonly BookingKind[] = ["AT_HOTEL", "PREPAID"];

/** Every bench room sells its nights at 120.00 EUR; a cancel is free until 48 h before check-in. */
const ratePlan = (payment: BookingKind) => ({
  nightlyRate: { amount: 12_000, currency: "EUR" },
  payment,
  cancellation: { freeUntilHours: 48, penaltyNights: 1 },
});

async function createRoom(roomUrl: string, units: number, payment: BookingKind, staffToken: string): Promise<string> {
  const res = await fetch(`${roomUrl}/rooms`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${staffToken}` },
    body: JSON.stringify({ name: `Bench room (${units}, ${payment})`, units, ...ratePlan(payment) }),
  });
  if (res.status !== 201) throw new Error(`room not created: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/**
 * Many roomy rooms and a few hot ones with 3 units, so some bookings contend and fail; created as
 * staff, all paid the given way.
 */
export async function createBenchRooms(
  roomUrl: string,
  signing: SigningSettings,
  payment: BookingKind = "AT_HOTEL",
  many = 200,
  hot = 5,
): Promise<BenchRooms> {
  const staff = tokenSigner(signing).staff("bench-staff");
  const roomy = await Promise.all(Array.from({ length: many }, () => createRoom(roomUrl, 10_000, payment, staff)));
  const hotIds = await Promise.all(Array.from({ length: hot }, () => createRoom(roomUrl, 3, payment, staff)));
  const roomIds = [...roomy, ...hotIds.flatMap((id) => Array.from({ length: 4 }, () => id))];
  // A year from today: every stay is in the future, as the API requires.
  const base = (Math.floor(Date.now() / 86_400_000) + 365) * 86_400_000;
  const stays = Array.from({ length: 50 }, (_, i) => {
    const checkIn = new Date(base + (i % 25) * 86_400_000);
    return {
      checkIn: formatDate(checkIn),
      checkOut: formatDate(new Date(checkIn.getTime() + (1 + (i % 3)) * 86_400_000)),
    };
  });
  return { ids: [...roomy, ...hotIds], roomIds: shuffle(roomIds), stays };
}

/** The same layout of rooms twice: one set paid at the hotel, one prepaid. */
export async function createBenchRoomSets(
  roomUrl: string,
  signing: SigningSettings,
): Promise<Record<BookingKind, BenchRooms>> {
  return {
    AT_HOTEL: await createBenchRooms(roomUrl, signing, "AT_HOTEL"),
    PREPAID: await createBenchRooms(roomUrl, signing, "PREPAID"),
  };
}

/**
 * Both sets as one load: of every request, a `prepaidShare` books a prepaid room, spread evenly
 * (request i is prepaid when the running share steps up), the others a room paid at the hotel.
 */
export function mixedRooms(sets: Record<BookingKind, BenchRooms>, prepaidShare: number): BenchRooms {
  const length = 2 * Math.max(sets.AT_HOTEL.roomIds.length, sets.PREPAID.roomIds.length);
  const next = { AT_HOTEL: 0, PREPAID: 0 };
  const roomIds = Array.from({ length }, (_, i) => {
    const kind: BookingKind =
      Math.floor((i + 1) * prepaidShare) > Math.floor(i * prepaidShare) ? "PREPAID" : "AT_HOTEL";
    const from = sets[kind].roomIds;
    return from[next[kind]++ % from.length] as string;
  });
  return { ids: [...sets.AT_HOTEL.ids, ...sets.PREPAID.ids], roomIds, stays: sets.AT_HOTEL.stays };
}

/**
 * Funds every bench guest's EUR deposit through the payment service's API, as staff would: 10
 * million EUR each, more than a run can spend (a prepaid booking costs at most 360.00 EUR).
 */
export async function fundBenchGuests(paymentUrl: string, signing: SigningSettings): Promise<void> {
  const staff = tokenSigner(signing).staff("bench-staff");
  let next = 0;
  const worker = async () => {
    while (next < GUESTS) {
      const guest = benchGuest(next++);
      const res = await fetch(`${paymentUrl}/accounts/${guest}/credits`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${staff}` },
        body: JSON.stringify({ amount: 1_000_000_000, currency: "EUR" }),
      });
      if (res.status !== 201) throw new Error(`${guest}'s deposit not funded: ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

export interface Settled {
  final: number;
  /** Saga latency from the services' own timestamps: created_at (accepted) to completed_at (final). */
  sagaLatenciesMs: number[];
  firstCreatedAt: number;
  lastCompletedAt: number;
}

export async function settled(db: pg.Pool, ids: string[]): Promise<Settled> {
  const { rows } = await db.query<{ created: number; completed: number | null }>(
    `SELECT extract(epoch FROM "created_at") * 1000 AS "created", extract(epoch FROM "completed_at") * 1000 AS "completed"
     FROM "reservations" WHERE "id" = ANY($1::uuid[]) AND "status" IN ('SUCCESS', 'FAILURE', 'CANCEL')`,
    [ids],
  );
  const latencies = rows.map((r) => Number(r.completed) - Number(r.created));
  return {
    final: rows.length,
    sagaLatenciesMs: latencies,
    firstCreatedAt: Math.min(...rows.map((r) => Number(r.created))),
    lastCompletedAt: Math.max(...rows.map((r) => Number(r.completed))),
  };
}

/** Polls until every booking is final (bounded); returns what settled. */
export async function waitSettled(db: pg.Pool, ids: string[], timeoutMs = 120_000): Promise<Settled> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await settled(db, ids);
    if (state.final === ids.length || Date.now() > deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
