import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { withDatabase } from "@saga/platform";
import { migrate } from "@saga/platform/migrate";
import pg from "pg";

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The relay's advisory lock key (services/platform/src/outbox.ts). */
const RELAY_LOCK = 0x6f7574626f78;
/** OUTBOX_BATCH_SIZE's default: the most rows one relay transaction reads and deletes. */
const RELAY_LIMIT = 500;
const ROOM_UNITS = 10_000;
const FIRST_NIGHT = "2027-01-01";

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

export interface PgbenchResult {
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

export interface Model {
  rooms: number;
  relayBatch: number;
  consumerChunk: number;
  idempotencyKey: boolean;
}

const items = (model: Model) => Array.from({ length: model.consumerChunk }, (_, i) => i + 1);
const roomUuid = (n: string) => `('00000000-0000-4000-8000-' || lpad(${n}::text, 12, '0'))::uuid`;
const checkIn = (k: number) => `(DATE '${FIRST_NIGHT}' + :day${k}::int)`;
const checkOut = (k: number) => `(DATE '${FIRST_NIGHT}' + :day${k}::int + :nights${k}::int)`;

/**
 * A random stay for item k. Rooms are drawn from the k-th of `consumerChunk` bands, so a chunk's
 * rooms ascend, as the consumer sorts a chunk by room id before it locks them.
 */
function stay(model: Model, k: number): string {
  const band = Math.floor(model.rooms / model.consumerChunk);
  return `\\set room${k} random(${(k - 1) * band + 1}, ${k * band})
\\set day${k} random(0, 699)
\\set nights${k} random(1, 3)`;
}

const columns = (table: string, names: string[], enumColumn: string) =>
  names.map((c) => `"public"."${table}"."${c}"${c === enumColumn ? "::text" : ""}`).join(", ");
const RESERVATION = columns(
  "reservations",
  [
    "id",
    "room_id",
    "guest_name",
    "check_in",
    "check_out",
    "status",
    "reason",
    "idempotency_key",
    "request_hash",
    "deadline_at",
    "created_at",
    "updated_at",
    "completed_at",
  ],
  "status",
);

/** enqueue() in services/platform/src/outbox.ts: the row and a NOTIFY, in the caller's transaction. */
function enqueue(topic: string, key: string, payload: string): string {
  return `WITH queued AS (
  INSERT INTO "outbox" ("message_id", "topic", "key", "payload")
  SELECT * FROM unnest(ARRAY[gen_random_uuid()], ARRAY['${topic}'], ARRAY[${key}::text], ARRAY[${payload}::text]::jsonb[])
  RETURNING 1
)
SELECT pg_notify('outbox', '') FROM (SELECT 1 FROM queued LIMIT 1) AS any_row;`;
}

/**
 * publishBatch() in services/platform/src/outbox.ts, run for one message in `relayBatch`: per
 * message it costs a batch's statement over the batch size. The relay reads up to RELAY_LIMIT rows
 * and deletes the rows it sent before in the same statement, in a session that holds the relay's
 * lock; here one statement deletes the rows it reads (the same index scan and deletes), and takes
 * the lock for the statement only, so that of the concurrent pgbench clients one relays at a time,
 * as one relay per database does. No Kafka send happens in between.
 */
function relay(model: Model, k: number): string {
  return `-- the outbox relay, once per ${model.relayBatch} message(s)
\\set roll${k} random(1, ${model.relayBatch})
\\if :roll${k} = 1
WITH "lock" AS (SELECT pg_try_advisory_xact_lock(${RELAY_LOCK}) AS "locked"),
"batch" AS (
  SELECT "id", "message_id", "topic", "key", "payload"::text AS "payload" FROM "outbox"
  WHERE (SELECT "locked" FROM "lock") ORDER BY "id" LIMIT ${RELAY_LIMIT}
), "deleted" AS (DELETE FROM "outbox" WHERE "id" = ANY(ARRAY(SELECT "id" FROM "batch")))
SELECT * FROM "batch";
\\endif`;
}

/** bookRoom() in services/reservation/src/domain/reservations.ts, then the relay of its room-reserve. */
function bookRoom(model: Model, k: number): string {
  const key = model.idempotencyKey ? `:key${k}::text` : "NULL";
  const payload = `json_build_object('messageId', gen_random_uuid(), 'version', 1, 'occurredAt', now(), 'type', 'ROOM_RESERVE',
    'roomId', ${roomUuid(`:room${k}`)}::text, 'checkIn', ${checkIn(k)}::text, 'checkOut', ${checkOut(k)}::text)`;
  const replay = `-- the Idempotency-Key's earlier booking, outside the transaction
\\set key${k} random(1, 1000000000000000)
SELECT ${RESERVATION} FROM "public"."reservations" WHERE ("public"."reservations"."idempotency_key" = :key${k}::text AND 1=1) LIMIT 1 OFFSET 0;
`;
  return `${stay(model, k)}
${model.idempotencyKey ? replay : ""}-- bookRoom: the booking and its room-reserve message, one statement
WITH booking AS (
  INSERT INTO "reservations" ("id", "room_id", "guest_name", "check_in", "check_out", "idempotency_key", "request_hash", "deadline_at", "updated_at")
  VALUES (gen_random_uuid(), ${roomUuid(`:room${k}`)}, 'Ada Lovelace', ${checkIn(k)}, ${checkOut(k)}, ${key}, '${"0123456789abcdef".repeat(4)}',
    now() + 30000 * interval '1 millisecond', now())
  RETURNING "id", "created_at", "deadline_at"
), queued AS (
  INSERT INTO "outbox" ("message_id", "topic", "key", "payload")
  SELECT gen_random_uuid(), 'room-reserve', ${roomUuid(`:room${k}`)}::text, ${payload}::jsonb FROM booking
)
SELECT "id"::text AS r${k}_id, "created_at", "deadline_at", (SELECT count(*) FROM (SELECT pg_notify('outbox', '')) AS notify)::int AS "notified"
FROM booking \\gset
${relay(model, k)}`;
}

/** applyResult() for item k, inside the consumer's transaction. */
function applyResult(k: number): string {
  return `WITH delivery AS (
  INSERT INTO "inbox" ("message_id", "topic") VALUES (gen_random_uuid(), 'transaction-result') ON CONFLICT DO NOTHING RETURNING 1
)
SELECT (SELECT count(*) FROM delivery)::int AS "fresh",
       (SELECT "status"::text FROM "reservations" WHERE "id" = :r${k}_id::uuid FOR UPDATE) AS "status";
UPDATE "reservations" SET "status" = 'SUCCESS'::"ReservationStatus", "reason" = NULL, "completed_at" = now(), "updated_at" = now()
WHERE "id" = :r${k}_id::uuid;`;
}

/** The reservation database's share of `consumerChunk` bookings: each booked, relayed, and its result applied. */
export function reservationScript(model: Model): string {
  return `-- ${model.consumerChunk} booking(s) on the reservation database, statement for statement as the service sends them
-- (services/reservation/src/domain/reservations.ts, services/platform/src/outbox.ts).
${items(model)
  .map((k) => bookRoom(model, k))
  .join("\n")}
-- applyResult: inbox and lock in one statement, then move to SUCCESS; one consumer transaction for ${model.consumerChunk} message(s)
BEGIN;
${items(model).map(applyResult).join("\n")}
COMMIT;
`;
}

/** reserveRoom() for item k on its SUCCESS path, inside the consumer's transaction. */
function reserveRoom(k: number): string {
  const m = `m${k}_`;
  const payload = `json_build_object('messageId', gen_random_uuid(), 'version', 1, 'occurredAt', now(), 'type', 'TRANSACTION_RESULT',
    'reservationId', :${m}reservation_id::text, 'status', 'SUCCESS')`;
  return `SELECT gen_random_uuid()::text AS reservation_id, ${roomUuid(`:room${k}`)}::text AS room_id, ${checkIn(k)}::text AS check_in, ${checkOut(k)}::text AS check_out \\gset ${m}
WITH delivery AS (
  INSERT INTO "inbox" ("message_id", "topic") VALUES (gen_random_uuid(), 'room-reserve') ON CONFLICT DO NOTHING RETURNING 1
)
SELECT (SELECT count(*) FROM delivery)::int AS "fresh",
       (SELECT "units" FROM "rooms" WHERE "id" = :${m}room_id::uuid FOR NO KEY UPDATE) AS "units" \\gset ${m}
SELECT (SELECT "status"::text FROM "holds" WHERE "reservation_id" = :${m}reservation_id::uuid) AS "hold",
       (SELECT count(*) FROM "room_nights"
        WHERE "room_id" = :${m}room_id::uuid AND "date" >= :${m}check_in::date AND "date" < :${m}check_out::date
          AND "taken" >= :${m}units)::int AS "full";
WITH taken AS (
  INSERT INTO "room_nights" ("room_id", "date", "taken")
  SELECT :${m}room_id::uuid, night::date, 1
  FROM generate_series(:${m}check_in::date, :${m}check_out::date - 1, interval '1 day') AS night
  ON CONFLICT ("room_id", "date") DO UPDATE SET "taken" = "room_nights"."taken" + 1
)
INSERT INTO "holds" ("reservation_id", "room_id", "check_in", "check_out", "status")
VALUES (:${m}reservation_id::uuid, :${m}room_id::uuid, :${m}check_in::date, :${m}check_out::date, 'HELD');
${enqueue("transaction-result", `:${m}reservation_id`, payload)}`;
}

/** The room database's share of `consumerChunk` bookings: nights taken, hold and reply written, the reply relayed. */
export function roomScript(model: Model): string {
  return `-- ${model.consumerChunk} booking(s) on the room database, statement for statement as the service sends them
-- (services/room/src/domain/holds.ts). The first SELECT only makes up the message's fields, which
-- the service reads from Kafka.
${items(model)
  .map((k) => stay(model, k))
  .join("\n")}
-- reserveRoom: one consumer transaction for ${model.consumerChunk} message(s)
BEGIN;
${items(model).map(reserveRoom).join("\n")}
COMMIT;
${items(model)
  .map((k) => relay(model, k))
  .join("\n")}
`;
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
    // Prisma's pg driver sends each statement with its parameters, unprepared: the extended protocol.
    ...["-M", "extended", "-D", "last_id=0", url],
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
