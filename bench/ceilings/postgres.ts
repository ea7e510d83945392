import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { migrate, withDatabase } from "@saga/ops/databases";
import pg from "pg";
import { type Model, reservationScript, roomScript, roomUuid } from "./pgbench-scripts.js";

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const ROOM_UNITS = 10_000;

export interface PostgresCeilingOptions {
  /** Any URL on the server (its database is not touched); the scratch databases are made next to it. */
  adminUrl: string;
  seconds: number;
  clients: number;
  onProgress?: (msg: string) => void;
  /** Room types seeded, 10000 units each, picked at random per booking. Default 1000. */
  rooms?: number;
  /** Messages per relay transaction (the relay's mean batch). Default 1: one relay transaction per message. */
  relayBatch?: number;
  /** Messages per consumer transaction (the consumer's chunk). Default 1: one transaction per message. */
  consumerChunk?: number;
  /** Whether bookings carry an Idempotency-Key (one SELECT before the transaction). Default false, as bench/load.ts sends none. */
  idempotencyKey?: boolean;
  /** The pgbench binary; by default the one on PATH, else PostgreSQL 15's. */
  pgbench?: string;
}

interface PgbenchResult {
  /** pgbench's tps: script runs per second, each `consumerChunk` bookings. */
  tps: number;
  bookingsPerSecond: number;
  latencyMsAvg: number;
  transactions: number;
  /** Outbox rows left when the run ended: a handful means the modelled relay kept up. */
  outboxBacklog: number;
}

export interface PostgresCeiling {
  /** Complete bookings (every transaction of a booking, on both databases) per second the server sustains. */
  bookingsPerSecond: number;
  /** Mean latency of one run of the reservation script plus one run of the room script (with chunk 1: one booking). */
  latencyMsAvg: number;
  clients: number;
  pgbenchVersion: string;
  /** Both pgbench scripts, as run. */
  script: string;
  reservation: PgbenchResult;
  room: PgbenchResult;
}

function pgbenchBinary(explicit?: string): string {
  if (explicit) return explicit;
  const onPath = (process.env.PATH ?? "").split(path.delimiter).some((dir) => existsSync(path.join(dir, "pgbench")));
  if (onPath) return "pgbench";
  const bundled = "/usr/lib/postgresql/15/bin/pgbench";
  if (existsSync(bundled)) return bundled;
  throw new Error("pgbench not found: apt-get install -y postgresql-client-15");
}

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

function parsePgbench(stdout: string): { tps: number; latencyMsAvg: number; transactions: number } {
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1];
  const latency = /latency average = ([\d.]+) ms/.exec(stdout)?.[1];
  const transactions = /number of transactions actually processed: (\d+)/.exec(stdout)?.[1];
  if (!tps || !latency || !transactions) throw new Error(`unexpected pgbench output:\n${stdout}`);
  return { tps: Number(tps), latencyMsAvg: Number(latency), transactions: Number(transactions) };
}

async function pgbench(
  binary: string,
  url: string,
  scriptFile: string,
  opts: { seconds: number; clients: number; label: string; onProgress: (msg: string) => void },
) {
  const args = [
    ...["-n", "-f", scriptFile, "-c", String(opts.clients), "-j", String(Math.min(2, opts.clients))],
    ...["-T", String(opts.seconds), "-P", String(Math.max(1, Math.round(opts.seconds / 5)))],
    // The services prepare each of their statements once per connection, as pgbench does here.
    ...["-M", "prepared", "-D", "last_id=0", url],
  ];
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
    for (const line of chunk.toString().split("\n")) {
      if (line.startsWith("progress:")) opts.onProgress(`pgbench ${opts.label}: ${line}`);
    }
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  if (code !== 0) throw new Error(`pgbench ${opts.label} exited with ${code}:\n${stderr}\n${stdout}`);
  return parsePgbench(stdout);
}

/**
 * The rate of complete bookings this PostgreSQL server sustains with the system's own SQL: one
 * pgbench script per database, each doing exactly what a booking costs there (see the scripts).
 *
 * Both databases live on this one server and share its cores, its WAL and its disk, so the two
 * scripts are not run side by side: the faster one would take CPU the slower one lacks, and the
 * result would depend on how the scheduler splits the cores. Each runs alone with the same
 * clients instead; its rate is what that database alone would take. A booking then costs
 * 1/rate_reservation + 1/rate_room seconds of the whole server, so the server completes
 * 1 / (1/rate_reservation + 1/rate_room) bookings/s.
 */
export async function measurePostgresCeiling(opts: PostgresCeilingOptions): Promise<PostgresCeiling> {
  const model: Model = {
    rooms: opts.rooms ?? 1000,
    relayBatch: opts.relayBatch ?? 1,
    consumerChunk: opts.consumerChunk ?? 1,
    idempotencyKey: opts.idempotencyKey ?? false,
  };
  if (model.rooms < model.consumerChunk) throw new Error("rooms must be at least consumerChunk");
  const progress = opts.onProgress ?? (() => {});
  const binary = pgbenchBinary(opts.pgbench);
  const pgbenchVersion = (await run(binary, ["--version"])).stdout.trim();
  const adminUrl = withDatabase(opts.adminUrl, "postgres");
  const suffix = randomBytes(4).toString("hex");
  const databases = {
    reservation: { name: `bench_ceiling_reservation_${suffix}`, script: reservationScript(model) },
    room: { name: `bench_ceiling_room_${suffix}`, script: roomScript(model) },
  };
  const urlOf = (name: string) => withDatabase(opts.adminUrl, name);
  const dir = await mkdtemp(path.join(tmpdir(), "bench-pgbench-"));
  try {
    progress(`migrating ${databases.reservation.name} and ${databases.room.name}`);
    await migrate(urlOf(databases.reservation.name), path.join(ROOT, "prisma/reservation/migrations"));
    await migrate(urlOf(databases.room.name), path.join(ROOT, "prisma/room/migrations"));
    await query(
      urlOf(databases.room.name),
      `INSERT INTO "rooms" ("id", "name", "units")
       SELECT ${roomUuid("i")}, 'Bench room ' || i, ${ROOM_UNITS} FROM generate_series(1, ${model.rooms}) AS i;
       ANALYZE "rooms";`,
    );
    const measure = async (label: "reservation" | "room"): Promise<PgbenchResult> => {
      const { name, script } = databases[label];
      const file = path.join(dir, `${label}.sql`);
      await writeFile(file, script);
      progress(`pgbench ${label}: ${opts.clients} clients, ${opts.seconds} s`);
      const measured = await pgbench(binary, urlOf(name), file, { ...opts, label, onProgress: progress });
      const backlog = await query(urlOf(name), `SELECT count(*)::int AS "n" FROM "outbox"`);
      const result = {
        ...measured,
        bookingsPerSecond: measured.tps * model.consumerChunk,
        outboxBacklog: Number(backlog.rows[0]?.n),
      };
      progress(
        `pgbench ${label}: ${result.bookingsPerSecond.toFixed(0)} bookings/s, ${result.latencyMsAvg} ms average`,
      );
      return result;
    };
    const reservation = await measure("reservation");
    const room = await measure("room");
    return {
      bookingsPerSecond: 1 / (1 / reservation.bookingsPerSecond + 1 / room.bookingsPerSecond),
      latencyMsAvg: reservation.latencyMsAvg + room.latencyMsAvg,
      clients: opts.clients,
      pgbenchVersion,
      script: `-- ===== reservation database\n${databases.reservation.script}\n-- ===== room database\n${databases.room.script}`,
      reservation,
      room,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    for (const { name } of Object.values(databases)) {
      await query(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch((err: Error) =>
        progress(`could not drop ${name}: ${err.message}`),
      );
    }
  }
}
