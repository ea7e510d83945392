// `pnpm bench:reconciler`: what the live reconciler costs, with 1 000, 50 000 and then 200 000
// bookings stored (the bench's seeded ones; BENCH_RECONCILER_STORED). The bench's own service
// instances on the stack, and a reconciler of their databases as the operators' role, passing
// every RECONCILE_INTERVAL_MS (5 s). At each
// count: its passes while nothing happens (the sweep's slice only), its passes under the mixed load
// at BENCH_RECONCILER_RATE for BENCH_RECONCILER_SECONDS, and `pnpm reconcile`'s full check timed for
// comparison. Prints a table and writes results/reconciler-<run>.json. Bounded: it ends on its own.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { serviceDatabases } from "@saga/ops/databases";
import { checkInvariant, invariantHolds } from "@saga/ops/invariant";
import { type LaunchedService, launchReconciler } from "@saga/ops/launch";
import { ROOT } from "@saga/ops/local";
import { parseMetrics, sampleSum } from "@saga/ops/metrics";
import { freePortPair } from "@saga/ops/ports";
import { loadReconcilerConfig } from "@saga/ops/reconciler";
import { count, parseEnv } from "@saga/platform/config";
import { z } from "zod";
import { benchConfig } from "./config.js";
import { createBenchRoomSets, fundBenchGuests, mixedRooms } from "./saga.js";
import { seedStoredBookings, settle, storedBookings } from "./seed.js";
import { round } from "./stats.js";
import { stepper } from "./steps.js";
import {
  benchEnvironment,
  benchSigning,
  benchUrl,
  deleteRunTopics,
  ensureStack,
  type Instance,
  startBenchServices,
  stopStack,
} from "./system.js";

const settings = parseEnv(
  z.object({
    /** The stored counts measured at, in order. */
    BENCH_RECONCILER_STORED: z
      .string()
      .regex(/^\d+(,\d+)*$/, "must be counts of stored bookings, comma separated, ascending")
      .default("1000,50000,200000")
      .transform((value) => value.split(",").map(Number)),
    BENCH_RECONCILER_RATE: count(100_000).default(200),
    BENCH_RECONCILER_SECONDS: count(3_600).default(30),
    /** Passes watched while nothing happens, at each count. */
    BENCH_RECONCILER_QUIET_PASSES: count(100).default(5),
  }),
  process.env,
);
const runId = `recon${Date.now().toString(36)}`;
const env = benchEnvironment(runId);
const instances: Instance[] = [];
const progress = (message: string) => process.stderr.write(`bench:reconciler: ${message}\n`);
const step = stepper(
  env,
  () => {},
  () => instances.map((i) => i.pid),
);

/** The reconciler's counters, as its /metrics has them now. */
async function reading(url: string) {
  const samples = parseMetrics(await (await fetch(`${url}/metrics`)).text());
  const value = (name: string, labels: Record<string, string> = {}) => sampleSum(samples, name, labels);
  return {
    passes: value("reconciler_passes_total", { outcome: "ok" }),
    failed: value("reconciler_passes_total", { outcome: "failed" }),
    seconds: value("reconciler_pass_duration_seconds_sum"),
    cpuSeconds: value("process_cpu_seconds_total"),
    bookings: value("reconciler_checked_total", { what: "bookings" }),
    nights: value("reconciler_checked_total", { what: "nights" }),
    discrepancies: value("saga_invariant_discrepancies"),
  };
}
type Reading = Awaited<ReturnType<typeof reading>>;

/** What the passes between two readings cost, each on average. */
function between(before: Reading, after: Reading, bookingsCompleted = 0) {
  const passes = after.passes - before.passes;
  return {
    passes,
    failedPasses: after.failed - before.failed,
    meanPassMs: round((1000 * (after.seconds - before.seconds)) / Math.max(1, passes), 2),
    bookingsCheckedPerPass: round((after.bookings - before.bookings) / Math.max(1, passes)),
    nightsCheckedPerPass: round((after.nights - before.nights) / Math.max(1, passes)),
    reconcilerCpuMs: round(1000 * (after.cpuSeconds - before.cpuSeconds)),
    reconcilerCpuMsPerBooking:
      bookingsCompleted > 0 ? round((1000 * (after.cpuSeconds - before.cpuSeconds)) / bookingsCompleted, 3) : null,
    discrepancies: after.discrepancies,
  };
}

/** Until the reconciler has completed `passes` more passes. */
async function passes(url: string, passes: number): Promise<Reading> {
  const start = (await reading(url)).passes;
  for (;;) {
    const now = await reading(url);
    if (now.passes >= start + passes) return now;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function measureAt(reconciler: LaunchedService, stored: number, mixed: ReturnType<typeof mixedRooms>) {
  await seedStoredBookings(env, stored, progress);
  const count = await storedBookings(env);
  await passes(reconciler.url, 1);
  const quietFrom = await reading(reconciler.url);
  const quietTo = await passes(reconciler.url, settings.BENCH_RECONCILER_QUIET_PASSES);
  const quiet = between(quietFrom, quietTo);
  progress(`${count} stored, no load: ${quiet.passes} passes, ${quiet.meanPassMs} ms each`);
  const loadFrom = await reading(reconciler.url);
  const s = await step(
    `${count} stored`,
    [benchUrl("reservation")],
    mixed,
    settings.BENCH_RECONCILER_RATE,
    settings.BENCH_RECONCILER_SECONDS,
  );
  // The bookings of the step's last seconds are checked by the pass after it.
  const loaded = between(loadFrom, await passes(reconciler.url, 2), s.accepted);
  progress(
    `${count} stored, ${settings.BENCH_RECONCILER_RATE}/s: ${loaded.passes} passes, ${loaded.meanPassMs} ms each, ${loaded.bookingsCheckedPerPass} bookings and ${loaded.nightsCheckedPerPass} nights checked a pass, reconciler CPU ${loaded.reconcilerCpuMsPerBooking} ms/booking (services and PostgreSQL ${s.cpuMsPerBooking.total})`,
  );
  const started = performance.now();
  const full = await checkInvariant(Object.fromEntries(serviceDatabases(env).map((d) => [d.service, d.url])) as never);
  const fullMs = round(performance.now() - started);
  progress(
    `${count} stored: the full check (pnpm reconcile's) took ${fullMs} ms, ${invariantHolds(full) ? "clean" : "BROKEN"}`,
  );
  return {
    stored: count,
    quiet,
    loaded: { ...loaded, rate: settings.BENCH_RECONCILER_RATE, completedPerSecond: s.completedPerSecond },
    fullCheckMs: fullMs,
    fullCheckClean: invariantHolds(full),
  };
}

const { wasRunning } = await ensureStack();
let reconciler: LaunchedService | undefined;
try {
  await startBenchServices(env, instances);
  const sets = await createBenchRoomSets(benchUrl("room"), benchSigning(env));
  const mixed = mixedRooms(sets, benchConfig().prepaidShare);
  await fundBenchGuests(benchUrl("payment"), benchSigning(env));
  await seedStoredBookings(env, 1_000);
  await settle(env);
  const operator = Object.fromEntries(serviceDatabases(env).map((d) => [d.service, d.operatorUrl]));
  reconciler = launchReconciler({
    env: {
      ...env,
      RECONCILER_ROOM_DATABASE_URL: operator.room,
      RECONCILER_RESERVATION_DATABASE_URL: operator.reservation,
      RECONCILER_PAYMENT_DATABASE_URL: operator.payment,
    },
    port: await freePortPair(),
    output: "inherit-stderr",
  });
  await reconciler.ready();
  const config = loadReconcilerConfig(env);
  progress(`reconciler every ${config.intervalMs} ms, sweeping ${config.sweepRows} keys of each table a pass`);
  const counts: Awaited<ReturnType<typeof measureAt>>[] = [];
  for (const stored of settings.BENCH_RECONCILER_STORED) counts.push(await measureAt(reconciler, stored, mixed));
  const results = { runId, intervalMs: config.intervalMs, sweepRows: config.sweepRows, counts };
  const dir = path.join(ROOT, "results");
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `reconciler-${runId}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const row = (r: (typeof counts)[number]) =>
    `| ${r.stored} | ${r.quiet.meanPassMs} | ${r.loaded.meanPassMs} | ${r.loaded.bookingsCheckedPerPass} | ${r.loaded.reconcilerCpuMsPerBooking} | ${r.loaded.discrepancies} | ${r.fullCheckMs} |`;
  process.stdout.write(
    [
      "",
      "| stored bookings | pass, no load (ms) | pass, under load (ms) | bookings checked a pass | reconciler CPU ms/booking | discrepancies | full check (ms) |",
      "|---|---|---|---|---|---|---|",
      ...counts.map(row),
      "",
      `results: results/reconciler-${runId}.json`,
      "",
    ].join("\n"),
  );
} finally {
  await reconciler?.stop();
  await Promise.all(instances.map((i) => i.stop()));
  await deleteRunTopics(env);
  if (!wasRunning) await stopStack();
}
