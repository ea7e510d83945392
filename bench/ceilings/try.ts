/**
 * Runs each ceiling once, briefly, and draws sample charts from made-up data:
 *   pnpm exec tsx bench/ceilings/try.ts
 * PostgreSQL from BENCH_DATABASE_URL (default the local server); Kafka on a broker of its own,
 * on free ports, stopped at the end; charts in /tmp/bench-charts.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePortPair } from "@saga/ops/ports";
import { latencyHistogramSvg, svgToPngIfPossible, throughputCurveSvg } from "../charts.js";
import { startBareFastify } from "./fastify.js";
import { measureKafkaCeiling } from "./kafka.js";
import { measurePostgresCeiling } from "./postgres.js";

const run = promisify(execFile);
const KAFKA_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../infra/kafka/kafka.sh");
const SECONDS = 5;
const CHARTS = "/tmp/bench-charts";

const log = (msg: string) => console.log(`  ${msg}`);

async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  console.log(`${name}:`);
  const started = Date.now();
  try {
    return await work();
  } finally {
    console.log(`${name}: took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** A closed loop of `concurrency` keep-alive clients posting a booking body for `seconds`. */
async function hammer(url: string, seconds: number, concurrency: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const body = JSON.stringify({
    roomId: "00000000-0000-4000-8000-000000000001",
    guestName: "Ada",
    checkIn: "2027-03-01",
    checkOut: "2027-03-03",
  });
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const request = http.request(
        `${url}/reservations`,
        {
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (response) => {
          response.resume();
          response.once("end", () =>
            response.statusCode === 202 ? resolve() : reject(new Error(`HTTP ${response.statusCode}`)),
          );
        },
      );
      request.once("error", reject);
      request.end(body);
    });
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const started = performance.now();
        await post();
        latencies.push(performance.now() - started);
      }
    }),
  );
  agent.destroy();
  return latencies;
}

/** Deterministic made-up latencies: log-normal around `medianMs`, with a slow tail. */
function madeUpLatencies(medianMs: number, count: number, seed: number): number[] {
  let state = seed;
  const uniform = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state + 1) / (2 ** 31 + 1);
  };
  return Array.from({ length: count }, () => {
    const normal = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    const tail = uniform() < 0.01 ? 4 + 6 * uniform() : 1;
    return medianMs * Math.exp(0.45 * normal) * tail;
  });
}

async function writeChart(name: string, svg: string) {
  const svgPath = path.join(CHARTS, `${name}.svg`);
  await writeFile(svgPath, svg);
  console.log(`  ${svgPath}${(await svgToPngIfPossible(svgPath)) ? " (+ .png)" : ""}`);
}

const postgres = await timed("PostgreSQL ceiling", () =>
  measurePostgresCeiling({
    adminUrl: process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
    seconds: SECONDS,
    clients: 8,
    onProgress: log,
  }),
);

const kafka = await timed("Kafka ceiling", async () => {
  const port = await freePortPair();
  const data = await mkdtemp(path.join(tmpdir(), "bench-kafka-"));
  // A broker without logins: the tools measure Kafka alone.
  const node = ["--id", "7", "--port", String(port), "--controller-port", String(port + 1), "--data", data];
  try {
    log(
      (await run("bash", [KAFKA_SCRIPT, "start", ...node, "--security", "none"], { timeout: 180_000 })).stdout.trim(),
    );
    return await measureKafkaCeiling({
      brokers: `127.0.0.1:${port}`,
      records: 150_000,
      recordSize: 300,
      onProgress: log,
    });
  } finally {
    log((await run("bash", [KAFKA_SCRIPT, "stop", ...node], { timeout: 60_000 })).stdout.trim());
    await rm(data, { recursive: true, force: true });
  }
});

const fastify = await timed("Bare Fastify", async () => {
  const server = await startBareFastify();
  try {
    const latencies = await hammer(server.url, SECONDS, 32);
    return { requestsPerSecond: latencies.length / SECONDS, latencies };
  } finally {
    await server.close();
  }
});

const sortedHttp = [...fastify.latencies].sort((a, b) => a - b);
const at = (p: number) => sortedHttp[Math.min(sortedHttp.length - 1, Math.floor((p / 100) * sortedHttp.length))] ?? 0;
console.log(`
PostgreSQL: ${postgres.bookingsPerSecond.toFixed(0)} bookings/s with ${postgres.clients} clients (reservation side alone ${postgres.reservation.bookingsPerSecond.toFixed(0)}/s, room side alone ${postgres.room.bookingsPerSecond.toFixed(0)}/s), ${postgres.latencyMsAvg.toFixed(1)} ms per booking
Kafka:      producer ${kafka.producerRecordsPerSecond.toFixed(0)} records/s (avg ${kafka.producerAvgLatencyMs} ms, p99 ${kafka.producerP99Ms} ms), consumer ${kafka.consumerRecordsPerSecond.toFixed(0)} records/s (fetching ${kafka.consumerFetchRecordsPerSecond.toFixed(0)})
Fastify:    ${fastify.requestsPerSecond.toFixed(0)} requests/s, p50 ${at(50).toFixed(2)} ms, p99 ${at(99).toFixed(2)} ms (32 clients, load generator in the same process)
`);

await mkdir(CHARTS, { recursive: true });
console.log("Sample charts (made-up data, plus the Fastify latencies just measured):");
await writeChart(
  "latency",
  latencyHistogramSvg(
    [
      { label: "bare Fastify (measured)", valuesMs: fastify.latencies },
      { label: "POST /reservations (made up)", valuesMs: madeUpLatencies(4, 20_000, 7) },
      { label: "booking to SUCCESS (made up)", valuesMs: madeUpLatencies(35, 20_000, 11) },
      { label: "empty series", valuesMs: [] },
    ],
    "Latency by percentile",
  ),
);
await writeChart(
  "throughput",
  throughputCurveSvg(
    [50, 100, 150, 200, 250, 300, 400, 500].map((offered) => ({
      offered,
      accepted: Math.min(offered, 420 - 40 * Math.max(0, offered / 100 - 4)),
      completed: Math.min(offered, 240),
    })),
    "Bookings achieved against offered load (made up)",
  ),
);
