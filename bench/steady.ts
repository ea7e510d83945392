// `pnpm bench:steady`: the saga at one offered rate, in its steady state, for finding what makes the
// tail. The bench's own service instances on the stack (as `pnpm bench` runs them), a warm-up step
// (not counted), then BENCH_STEADY_STEPS steps of BENCH_STEP_SECONDS at BENCH_STEADY_RATE. Each step
// prints its saga p50 / p99, their ratio (the tail) and its CPU per booking; then, over every
// measured booking, each hop's share: reservation stored -> room took the nights (relay, broker,
// room consumer), and took -> reservation final (the same on the way back), from the rows' own
// timestamps (one database server's clock). Bounded: it ends on its own.
import { benchConfig } from "./config.js";
import { createBenchRooms } from "./saga.js";
import { round, summarize } from "./stats.js";
import { stepper } from "./steps.js";
import {
  adminUrl,
  benchEnvironment,
  benchSigning,
  deleteRunTopics,
  ensureStack,
  type Instance,
  pool,
  startBenchServices,
  stopStack,
} from "./system.js";

const { steadyRate: rate, steadySteps: steps, stepSeconds } = benchConfig();
const env = benchEnvironment(`steady${Date.now().toString(36)}`);
const instances: Instance[] = [];
const progress = (message: string) => process.stderr.write(`bench:steady: ${message}\n`);
const step = stepper(
  env,
  () => {},
  () => instances.map((i) => i.pid),
);

/** Milliseconds of each booking's two hops, from the two databases' rows. */
async function hops(ids: string[]): Promise<{ out: number[]; back: number[] }> {
  const reservations = pool(adminUrl(env.RESERVATION_DATABASE_URL));
  const rooms = pool(adminUrl(env.ROOM_DATABASE_URL));
  try {
    const stored = await reservations.query<{ id: string; created: number; final: number }>(
      `SELECT "id", extract(epoch FROM "created_at") * 1000 AS created, extract(epoch FROM "completed_at") * 1000 AS final
         FROM "reservations" WHERE "id" = ANY($1::uuid[]) AND "completed_at" IS NOT NULL`,
      [ids],
    );
    const taken = await rooms.query<{ id: string; at: number }>(
      `SELECT "reservation_id" AS id, extract(epoch FROM "at") * 1000 AS at FROM "hold_history"
         WHERE "reservation_id" = ANY($1::uuid[]) AND "event" IN ('TAKEN', 'REFUSED')`,
      [ids],
    );
    const at = new Map(taken.rows.map((row) => [row.id, Number(row.at)]));
    const out: number[] = [];
    const back: number[] = [];
    for (const row of stored.rows) {
      const took = at.get(row.id);
      if (took === undefined) continue;
      out.push(took - Number(row.created));
      back.push(Number(row.final) - took);
    }
    return { out, back };
  } finally {
    await Promise.all([reservations.end(), rooms.end()]);
  }
}

const { wasRunning } = await ensureStack();
try {
  await startBenchServices(env, instances);
  const rooms = await createBenchRooms("http://127.0.0.1:3101", benchSigning(env));
  progress(`warm-up: ${rate}/s for ${stepSeconds} s (not counted)`);
  await step("warm-up", ["http://127.0.0.1:3100"], rooms, rate, stepSeconds);
  const ids: string[] = [];
  for (let i = 1; i <= steps; i++) {
    const s = await step(`step ${i}`, ["http://127.0.0.1:3100"], rooms, rate, stepSeconds);
    ids.push(...s.raw.ids);
    progress(
      `step ${i}: ${rate}/s offered, ${s.completedPerSecond}/s completed, saga p50 ${s.saga.p50} ms, p99 ${s.saga.p99} ms, tail ${round(s.saga.p99 / Math.max(1, s.saga.p50))}, CPU ${s.cpuMsPerBooking.total} ms/booking (services ${s.cpuMsPerBooking.services}, PostgreSQL ${s.cpuMsPerBooking.postgres}, Kafka ${s.cpuMsPerBooking.kafka})`,
    );
  }
  const { out, back } = await hops(ids);
  for (const [name, hop] of [
    ["stored -> nights taken", summarize(out)],
    ["nights taken -> final", summarize(back)],
  ] as const) {
    progress(`${name}: p50 ${round(hop.p50)} ms, p99 ${round(hop.p99)} ms (${hop.count} bookings)`);
  }
} finally {
  await Promise.all(instances.map((i) => i.stop()));
  await deleteRunTopics(env);
  if (!wasRunning) await stopStack();
}
