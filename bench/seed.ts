import pg from "pg";
import { adminUrl } from "./system.js";

/** `fn` with a client of `url`, connected for it and closed after. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function storedBookings(env: NodeJS.ProcessEnv): Promise<number> {
  return withClient(adminUrl(env.RESERVATION_DATABASE_URL), async (c) => {
    const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS "n" FROM "reservations"`);
    return rows[0]?.n ?? 0;
  });
}

/**
 * Forgets every booking and every movement of money (rooms stay; deposits are gone and must be
 * funded again): the services must be idle, their sagas settled.
 */
export async function forgetBookings(env: NodeJS.ProcessEnv): Promise<void> {
  await withClient(adminUrl(env.RESERVATION_DATABASE_URL), (c) =>
    c.query(`TRUNCATE "reservations", "inbox", "outbox"`),
  );
  await withClient(adminUrl(env.ROOM_DATABASE_URL), (c) =>
    c.query(`TRUNCATE "holds", "room_nights", "inbox", "outbox"`),
  );
  await withClient(adminUrl(env.PAYMENT_DATABASE_URL), (c) =>
    c.query(`TRUNCATE "entries", "movements", "payments", "accounts", "inbox", "outbox"`),
  );
}

/**
 * Adds finished bookings until `target` are stored, with everything a real finished booking
 * leaves behind: a CANCEL booking and two inbox rows in the reservation database, a RELEASED
 * hold and two inbox rows in the room database. Nothing stays taken, so the invariant holds.
 */
export async function seedStoredBookings(env: NodeJS.ProcessEnv, target: number, progress?: (m: string) => void) {
  const missing = target - (await storedBookings(env));
  if (missing <= 0) return;
  progress?.(`seeding ${missing} stored bookings`);
  const rooms = await withClient(adminUrl(env.ROOM_DATABASE_URL), async (c) => {
    const { rows } = await c.query<{ id: string }>(`SELECT "id" FROM "rooms" ORDER BY "id" LIMIT 100`);
    return rows.map((r) => r.id);
  });
  const salt = `${Date.now()}`;
  const series = `generate_series(1, ${missing}) AS i`;
  const id = `md5($2 || i)::uuid`;
  const room = `($1::uuid[])[1 + i % array_length($1::uuid[], 1)]`;
  const stay = `DATE '2020-01-01' + (i % 300), DATE '2020-01-01' + (i % 300) + 1 + (i % 3)`;
  await withClient(adminUrl(env.RESERVATION_DATABASE_URL), async (c) => {
    await c.query(
      `INSERT INTO "reservations" ("id", "room_id", "guest_name", "check_in", "check_out", "status", "deadline_at", "created_at", "updated_at", "completed_at")
       SELECT ${id}, ${room}, 'Stored guest', ${stay}, 'CANCEL', now(), now(), now(), now() FROM ${series}`,
      [rooms, salt],
    );
    await c.query(
      `INSERT INTO "inbox" ("message_id", "topic") SELECT gen_random_uuid(), 'seed' FROM generate_series(1, $1::int * 2)`,
      [missing],
    );
  });
  await withClient(adminUrl(env.ROOM_DATABASE_URL), async (c) => {
    await c.query(
      `INSERT INTO "holds" ("reservation_id", "room_id", "check_in", "check_out", "status", "released_at")
       SELECT ${id}, ${room}, ${stay}, 'RELEASED', now() FROM ${series}`,
      [rooms, salt],
    );
    await c.query(
      `INSERT INTO "inbox" ("message_id", "topic") SELECT gen_random_uuid(), 'seed' FROM generate_series(1, $1::int * 2)`,
      [missing],
    );
  });
  await settle(env);
}

/**
 * Does the work a burst leaves behind (vacuum of the outbox's and inbox's churn, statistics, dirty
 * pages) that autovacuum and the checkpointer would otherwise do during the next measurement, on
 * every service's database: a fixed-rate step then measures that rate, not the aftermath of the one before.
 */
export async function settle(env: NodeJS.ProcessEnv): Promise<void> {
  for (const url of [env.RESERVATION_DATABASE_URL, env.ROOM_DATABASE_URL, env.PAYMENT_DATABASE_URL].map(adminUrl)) {
    await withClient(url, async (c) => {
      await c.query("VACUUM ANALYZE");
      await c.query("CHECKPOINT");
    });
  }
}
