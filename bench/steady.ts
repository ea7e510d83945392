// `pnpm bench:steady`: the saga at one offered rate, in its steady state, for finding what makes the
// tail. The bench's own service instances on the stack (as `pnpm bench` runs them), a warm-up step
// (not counted), then BENCH_STEADY_STEPS steps of BENCH_STEP_SECONDS at BENCH_STEADY_RATE. Each step
// prints its saga p50 / p99, their ratio (the tail) and its CPU per booking; then, over every
// measured booking, each hop's share: reservation stored -> room took the nights (relay, broker,
// room consumer), and took -> reservation final (the same on the way back), from the rows' own
// timestamps (one database server's clock). Bounded: it ends on its own.
import { topicNames } from "@saga/contracts";
import { parseMetrics } from "@saga/ops/metrics";
import { settingsOf } from "@saga/ops/services";
import { AssignerProtocol } from "kafkajs";
import { benchConfig } from "./config.js";
import { createBenchRooms } from "./saga.js";
import { round, summarize } from "./stats.js";
import { stepper } from "./steps.js";
import {
  adminUrl,
  benchEnvironment,
  benchSigning,
  benchUrl,
  deleteRunTopics,
  ensureStack,
  type Instance,
  pool,
  runKafka,
  startBenchServices,
  startInstances,
  stopStack,
  withRunAdmin,
} from "./system.js";

const { steadyRate: rate, steadySteps: steps, steadyInstances, stepSeconds } = benchConfig();
const env = benchEnvironment(`steady${Date.now().toString(36)}`);
const instances: Instance[] = [];
const progress = (message: string) => process.stderr.write(`bench:steady: ${message}\n`);
const step = stepper(
  env,
  () => {},
  () => instances.map((i) => i.pid),
);

/** When a record was sent (the producer's timestamp, CreateTime: the relay's clock), and its partition. */
interface Sent {
  at: number;
  partition: number;
}

/**
 * When each booking's room-reserve and transaction-result records were sent, read back from the
 * run's topics as the admin, up to the ends they had when it started (60 s at most, then an error).
 */
async function sentTimes(): Promise<{ reserve: Map<string, Sent>; result: Map<string, Sent> }> {
  const topics = topicNames(env.KAFKA_TOPIC_PREFIX);
  const read = [topics.roomReserve, topics.transactionResult];
  const ends = new Map<string, number>();
  await withRunAdmin(env, async (admin) => {
    for (const topic of read) {
      for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, Number(p.high));
    }
  });
  const times = { reserve: new Map<string, Sent>(), result: new Map<string, Sent>() };
  const left = new Set([...ends].filter(([, high]) => high > 0).map(([key]) => key));
  const consumer = runKafka(env, "bench-steady").consumer({ groupId: `${env.KAFKA_TOPIC_PREFIX}timing` });
  await consumer.connect();
  await consumer.subscribe({ topics: read, fromBeginning: true });
  const done = new Promise<void>((resolve, reject) => {
    if (left.size === 0) resolve();
    setTimeout(() => reject(new Error(`records of ${[...left].join(", ")} not read back in 60 s`)), 60_000).unref();
    void consumer.run({
      eachBatch: async ({ batch }) => {
        const into = batch.topic === topics.roomReserve ? times.reserve : times.result;
        for (const message of batch.messages) {
          const { reservationId } = JSON.parse(message.value?.toString() ?? "{}") as { reservationId?: string };
          if (reservationId && !into.has(reservationId))
            into.set(reservationId, { at: Number(message.timestamp), partition: batch.partition });
        }
        const key = `${batch.topic}/${batch.partition}`;
        if (Number(batch.lastOffset()) + 1 >= (ends.get(key) ?? 0)) left.delete(key);
        if (left.size === 0) resolve();
      },
    });
  });
  try {
    await done;
  } finally {
    await consumer.disconnect();
  }
  return times;
}

/** Which member of each service's group consumes each partition: "room/0" -> "A". */
function assignments(): Promise<Map<string, string>> {
  const topics = topicNames(env.KAFKA_TOPIC_PREFIX);
  const consumed = { room: topics.roomReserve, reservation: topics.transactionResult };
  return withRunAdmin(env, async (admin) => {
    const owners = new Map<string, string>();
    for (const service of ["room", "reservation"] as const) {
      const { groups } = await admin.describeGroups([settingsOf(service).loadConfig(env).kafka.groupId]);
      for (const [n, member] of (groups[0]?.members ?? []).entries()) {
        const assigned = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
        for (const partition of assigned?.assignment[consumed[service]] ?? []) {
          owners.set(`${service}/${partition}`, "AB"[n] ?? String(n));
        }
      }
    }
    return owners;
  });
}

/** Milliseconds of each booking's two hops, from the two databases' rows, each split where its record was sent. */
async function hops(ids: string[]) {
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
    const sent = await sentTimes();
    const parts = {
      /** Each booking's four parts, in order: reservation relay, room consumer, room relay, reservation consumer. */
      parts: [[], [], [], []] as [number[], number[], number[], number[]],
      /** The consuming parts (the room's, the reservation's) by the partition they were consumed from. */
      byPartition: [new Map<number, number[]>(), new Map<number, number[]>()],
    };
    for (const row of stored.rows) {
      const took = at.get(row.id);
      const reserveSent = sent.reserve.get(row.id);
      const resultSent = sent.result.get(row.id);
      if (took === undefined || reserveSent === undefined || resultSent === undefined) continue;
      const marks = [Number(row.created), reserveSent.at, took, resultSent.at, Number(row.final)];
      const part = marks.slice(1).map((mark, i) => mark - (marks[i] as number));
      for (const [i, ms] of part.entries()) parts.parts[i as 0 | 1 | 2 | 3].push(ms);
      for (const [n, partition, ms] of [
        [0, reserveSent.partition, part[1]],
        [1, resultSent.partition, part[3]],
      ] as const) {
        const of = parts.byPartition[n] as Map<number, number[]>;
        if (!of.has(partition)) of.set(partition, []);
        of.get(partition)?.push(ms as number);
      }
    }
    return parts;
  } finally {
    await Promise.all([reservations.end(), rooms.end()]);
  }
}

type GcTotals = Map<string, { count: number; seconds: number }>;

/** An instance's garbage collection pauses since it started, by kind, from its own metrics. */
async function gcTotals(url: string): Promise<GcTotals> {
  const samples = parseMetrics(await (await fetch(`${url}/metrics`)).text());
  const totals: GcTotals = new Map();
  for (const { name, labels, value } of samples) {
    const what = { nodejs_gc_duration_seconds_count: "count", nodejs_gc_duration_seconds_sum: "seconds" }[name];
    if (!what || !labels.kind) continue;
    const total = totals.get(labels.kind) ?? { count: 0, seconds: 0 };
    total[what as "count" | "seconds"] = value;
    totals.set(labels.kind, total);
  }
  return totals;
}

/** The pauses between two readings of one instance. */
function gcBetween(before: GcTotals, after: GcTotals): string {
  const pauses = [...after].flatMap(([kind, { count, seconds }]) => {
    const n = count - (before.get(kind)?.count ?? 0);
    const ms = 1000 * (seconds - (before.get(kind)?.seconds ?? 0));
    return n > 0 ? [`${kind} ${n}, ${round(ms)} ms in all (mean ${round(ms / n)})`] : [];
  });
  return `GC pauses over the steps: ${pauses.join("; ") || "none"}`;
}

const { wasRunning } = await ensureStack();
try {
  await startBenchServices(env, instances);
  const rooms = await createBenchRooms(benchUrl("room"), benchSigning(env));
  progress(`warm-up: ${rate}/s for ${stepSeconds} s (not counted)`);
  const urls = [benchUrl("reservation")];
  await step("warm-up", urls, rooms, rate, stepSeconds);
  if (steadyInstances === 2) {
    progress("a second instance of each service (the steps that follow include their joining)");
    instances.push(...(await startInstances(env, 1)));
    urls.push(benchUrl("reservation", 1));
  }
  const gcBefore = await Promise.all(instances.map((i) => gcTotals(i.url)));
  const ids: string[] = [];
  for (let i = 1; i <= steps; i++) {
    const s = await step(`step ${i}`, urls, rooms, rate, stepSeconds);
    ids.push(...s.raw.ids);
    progress(
      `step ${i}: ${rate}/s offered, ${s.completedPerSecond}/s completed, saga p50 ${s.saga.p50} ms, p99 ${s.saga.p99} ms, tail ${round(s.saga.p99 / Math.max(1, s.saga.p50))}, CPU ${s.cpuMsPerBooking.total} ms/booking (services ${s.cpuMsPerBooking.services}, PostgreSQL ${s.cpuMsPerBooking.postgres}, Kafka ${s.cpuMsPerBooking.kafka})`,
    );
  }
  const owners = await assignments();
  const { parts, byPartition } = await hops(ids);
  const [relay, roomConsumer, roomRelay, reservationConsumer] = parts;
  /** A hop: its two parts, booking by booking. */
  const joined = (a: number[], b: number[]) => a.map((ms, i) => ms + (b[i] as number));
  for (const [name, hop] of [
    ["stored -> nights taken", summarize(joined(relay, roomConsumer))],
    ["nights taken -> final", summarize(joined(roomRelay, reservationConsumer))],
    ["  stored -> room-reserve sent (reservation relay)", summarize(relay)],
    ["  room-reserve sent -> nights taken (broker, room consumer)", summarize(roomConsumer)],
    ["  nights taken -> transaction-result sent (room relay)", summarize(roomRelay)],
    ["  transaction-result sent -> final (broker, reservation consumer)", summarize(reservationConsumer)],
  ] as const) {
    progress(`${name}: p50 ${round(hop.p50)} ms, p99 ${round(hop.p99)} ms (${hop.count} bookings)`);
  }
  for (const [n, name] of ["room-reserve sent -> nights taken", "transaction-result sent -> final"].entries()) {
    for (const [partition, ms] of [...(byPartition[n] ?? [])].sort(([a], [b]) => a - b)) {
      const hop = summarize(ms);
      const owner = owners.get(`${n === 0 ? "room" : "reservation"}/${partition}`) ?? "?";
      progress(
        `  ${name}, partition ${partition} (member ${owner}): p50 ${round(hop.p50)} ms, p99 ${round(hop.p99)} ms`,
      );
    }
  }
  for (const [n, instance] of instances.entries()) {
    progress(`${instance.url}: ${gcBetween(gcBefore[n] ?? new Map(), await gcTotals(instance.url))}`);
  }
} finally {
  await Promise.all(instances.map((i) => i.stop()));
  await deleteRunTopics(env);
  if (!wasRunning) await stopStack();
}
