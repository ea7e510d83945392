import { formatDate } from "@saga/contracts";
import { type SigningSettings, tokenSigner } from "@saga/ops/tokens";
import type pg from "pg";

export interface BenchRooms {
  ids: string[];
  /** Request i books roomIds[i % n]: a few hot rooms appear often, the many others rarely. */
  roomIds: string[];
  stays: { checkIn: string; checkOut: string }[];
}

async function createRoom(roomUrl: string, units: number, staffToken: string): Promise<string> {
  const res = await fetch(`${roomUrl}/rooms`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${staffToken}` },
    body: JSON.stringify({ name: `Bench room (${units})`, units }),
  });
  if (res.status !== 201) throw new Error(`room not created: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** Many roomy rooms and a few hot ones with 3 units, so some bookings contend and fail; created as staff. */
export async function createBenchRooms(
  roomUrl: string,
  signing: SigningSettings,
  many = 200,
  hot = 5,
): Promise<BenchRooms> {
  const staff = tokenSigner(signing).staff("bench-staff");
  const roomy = await Promise.all(Array.from({ length: many }, () => createRoom(roomUrl, 10_000, staff)));
  const hotIds = await Promise.all(Array.from({ length: hot }, () => createRoom(roomUrl, 3, staff)));
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
