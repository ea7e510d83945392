// The DBOS peer in the bench: its own databases on the same PostgreSQL server (a reservation and a
// room database migrated as the services' are, and DBOS's system database), the bench's rooms
// copied in with no night taken, and the peer's process (peer.ts), whose CPU the steps count.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { dropDatabase, prepareDatabase, serviceDatabases, withDatabase } from "@saga/ops/databases";
import { untilReady } from "@saga/ops/launch";
import { ROOT } from "@saga/ops/local";
import pg from "pg";
import { adminUrl, type Instance } from "../../system.js";

export interface Peer extends Instance {
  /** The peer's reservation database (as the services' role), where the steps find its bookings. */
  reservationUrl: string;
}

/** Every setting given to DBOS; the rest are its defaults (recorded in docs/benchmarks.md). */
export const DBOS_SETTINGS = { name: "hotel-bench-peer", systemDatabase: "hotel_bench_peer_dbos_sys" } as const;

export async function startDbosPeer(env: NodeJS.ProcessEnv, port: number, roomsFrom: string): Promise<Peer> {
  const databases = serviceDatabases({
    ...env,
    RESERVATION_DATABASE_URL: withDatabase(env.RESERVATION_DATABASE_URL ?? "", "hotel_bench_peer_reservation"),
    ROOM_DATABASE_URL: withDatabase(env.ROOM_DATABASE_URL ?? "", "hotel_bench_peer_room"),
  });
  const reservationDb = databases.find((db) => db.service === "reservation");
  const roomDb = databases.find((db) => db.service === "room");
  if (!reservationDb || !roomDb) throw new Error("no service databases configured");
  const systemUrl = withDatabase(adminUrl(env.RESERVATION_DATABASE_URL), DBOS_SETTINGS.systemDatabase);
  for (const db of [reservationDb, roomDb]) {
    await dropDatabase(db.adminUrl);
    await prepareDatabase(db);
  }
  await dropDatabase(systemUrl);
  await copyRooms(adminUrl(roomsFrom), roomDb.adminUrl);

  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "bench/peers/dbos/peer.ts"], {
    cwd: ROOT,
    env: {
      ...env,
      PEER_PORT: String(port),
      PEER_RESERVATION_DATABASE_URL: reservationDb.appUrl,
      PEER_ROOM_DATABASE_URL: roomDb.appUrl,
      PEER_SYSTEM_DATABASE_URL: systemUrl,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  await untilReady(url, "the DBOS peer", 60_000, () => child.exitCode !== null, "/ready");
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  };
  return { url, pid: child.pid as number, stop, reservationUrl: reservationDb.appUrl };
}

/** The same rooms (ids and units) in the peer's room database, every night free. */
async function copyRooms(fromUrl: string, toUrl: string): Promise<void> {
  const from = new pg.Client({ connectionString: fromUrl });
  const to = new pg.Client({ connectionString: toUrl });
  await Promise.all([from.connect(), to.connect()]);
  try {
    const { rows } = await from.query<{ id: string; name: string; units: number }>(
      `SELECT "id", "name", "units" FROM "rooms"`,
    );
    await to.query(
      `INSERT INTO "rooms" ("id", "name", "units") SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[])`,
      [rows.map((r) => r.id), rows.map((r) => r.name), rows.map((r) => r.units)],
    );
  } finally {
    await Promise.all([from.end(), to.end()]);
  }
}
