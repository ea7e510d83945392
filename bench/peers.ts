// `pnpm bench:peers`: the DBOS Transact peer alone, both kinds one after the other (DBOS steps on
// node-postgres, DBOS transactions through a datasource) on the same stack and the same rooms: for
// rooms paid at the hotel and for prepaid rooms, each kind's saturation, its p99 and CPU per
// booking at half saturation, and the invariant over its databases.
// Bounded: BENCH_RATES' steps at most, of BENCH_STEP_SECONDS each, per kind and round; loopback only.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { ROOT } from "@saga/ops/local";
import { benchConfig, PEER_KINDS } from "./config.js";
import { type PeerKind, startDbosPeer } from "./peers/dbos/run.js";
import { type Curve, curve, warmUp } from "./ramp.js";
import { type BenchRooms, type BookingKind, createBenchRoomSets, KINDS, mixedRooms } from "./saga.js";
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

const PEER_PORT = 3200;

const runId = new Date()
  .toISOString()
  .replace(/[-:.TZ]/g, "")
  .slice(0, 14);
const env = benchEnvironment(runId);
const { peerRounds: ROUNDS, prepaidShare } = benchConfig();

const progress = (message: string) => process.stderr.write(`bench:peers: ${message}\n`);

/** One kind of peer on fresh databases: a warm-up, then each kind of booking ramped and at half saturation. */
async function runKind(kind: PeerKind, rooms: Record<BookingKind, BenchRooms>) {
  progress(`the ${kind} peer: fresh databases, the bench's rooms copied in, guests funded`);
  const peer = await startDbosPeer(env, PEER_PORT, env.ROOM_DATABASE_URL ?? "", kind);
  try {
    const step = stepper({ ...env, RESERVATION_DATABASE_URL: peer.reservationUrl }, progress, () => [peer.pid]);
    const warm = await warmUp(step, `${kind} warm-up`, [peer.url], mixedRooms(rooms, prepaidShare));
    const curves = {} as Record<BookingKind, Curve>;
    for (const payment of KINDS) {
      curves[payment] = await curve(step, `${kind} ${payment}`, [peer.url], rooms[payment], async () => {});
    }
    return { kind, warm, curves, invariant: await peer.invariant() };
  } finally {
    await peer.stop();
  }
}

function print(runs: ({ round: number } & Awaited<ReturnType<typeof runKind>>)[]) {
  for (const { round: n, kind, curves, invariant } of runs) {
    for (const payment of KINDS) {
      const c = curves[payment];
      const cpu = c.half.cpuMsPerBooking;
      process.stdout.write(
        `peers: round ${n}, ${kind}, ${payment}: saturation ${round(c.saturation)} bookings/s${c.reached ? "" : " (not reached: a lower bound)"}, p99 ${round(c.half.saga.p99)} ms at ${c.halfRate}/s, CPU ${cpu.total} ms per booking (peer ${cpu.services}, PostgreSQL ${cpu.postgres})\n`,
      );
    }
    process.stdout.write(
      `peers: round ${n}, ${kind}: invariant ${invariant.ok ? "ok" : "BROKEN"}, ${invariant.bookings} bookings ${JSON.stringify(invariant.byStatus)}\n`,
    );
  }
}

async function main() {
  const instances: Instance[] = [];
  let stackWasRunning = true;
  try {
    progress("stack, and the bench's services to create the rooms");
    stackWasRunning = (await ensureStack()).wasRunning;
    await startBenchServices(env, instances);
    const rooms = await createBenchRoomSets(benchUrl("room"), benchSigning(env));
    // The peer gets the machine to itself.
    await Promise.all(instances.splice(0).map((i) => i.stop()));

    const runs = [];
    for (let n = 1; n <= ROUNDS; n++) {
      for (const kind of PEER_KINDS) runs.push({ round: n, ...(await runKind(kind, rooms)) });
    }

    const dir = path.join(ROOT, "results");
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `peers-${runId}.json`);
    await writeFile(
      file,
      JSON.stringify({ runId, runs }, (key, value) => (key === "raw" ? undefined : value), 2),
    );
    print(runs);
    process.stdout.write(`results: ${file}\n`);
    if (runs.some((r) => !r.invariant.ok)) {
      process.stderr.write(`bench:peers: INVARIANT BROKEN: ${JSON.stringify(runs.map((r) => r.invariant))}\n`);
      process.exitCode = 1;
    }
  } finally {
    await Promise.allSettled(instances.map((i) => i.stop()));
    await deleteRunTopics(env).then(
      (n) => progress(`deleted the run's ${n} topics and its consumer groups`),
      (err: Error) => progress(`the run's topics were not deleted: ${err.message}`),
    );
    if (!stackWasRunning) await stopStack();
  }
}

await main();
