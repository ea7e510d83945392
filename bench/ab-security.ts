// `pnpm bench:security`: what logins and ACLs cost, measured A/B on one machine, interleaved.
// "on": the stack's broker (SASL/SCRAM, StandardAuthorizer) and each service as its own database
// role; "off": a second broker of the same jars without logins (`kafka.sh --security none`) and the
// services as the PostgreSQL superuser, as before least privilege; "kafka": the stack's broker with
// logins and ACLs, the services as the superuser (which half costs what). Each round starts a fresh
// pair of service instances on fresh databases and topics, warms them up, then offers a fixed rate
// and a saturating one. The modes' order reverses every round (on, off, kafka, kafka, off, on, …),
// so drift on a shared VM falls on all of them.
// Bounded: rounds × (warm-up + two steps), then everything it started is stopped.
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { KAFKA_SCRIPT, ROOT } from "@saga/ops/local";
import { benchConfig } from "./config.js";
import { createBenchRooms } from "./saga.js";
import { round } from "./stats.js";
import { type Step, stepper } from "./steps.js";
import {
  adminUrl,
  benchEnvironment,
  benchSigning,
  benchUrl,
  deleteRunTopics,
  ensureStack,
  type Instance,
  startBenchServices,
  stopStack,
} from "./system.js";

const exec = promisify(execFile);
const PLAIN_PORT = 9192;
const PLAIN_DATA = path.join(ROOT, ".data", "bench-kafka-plain");
const { abRounds, abRate, abProbeRate, stepSeconds } = benchConfig();
const progress = (message: string) => process.stderr.write(`bench:security: ${message}\n`);

const MODES = ["on", "off", "kafka"] as const;
type Mode = (typeof MODES)[number];

function environment(mode: Mode, round: number): NodeJS.ProcessEnv {
  const on = benchEnvironment(`ab${round}${mode}-${Date.now().toString(36)}`);
  if (mode === "on") return on;
  const superuser = {
    RESERVATION_DATABASE_URL: adminUrl(on.RESERVATION_DATABASE_URL),
    ROOM_DATABASE_URL: adminUrl(on.ROOM_DATABASE_URL),
  };
  if (mode === "kafka") return { ...on, ...superuser };
  return { ...on, ...superuser, KAFKA_BROKERS: `127.0.0.1:${PLAIN_PORT}`, KAFKA_SASL_MECHANISM: "none" };
}

async function measure(mode: Mode, round: number): Promise<{ mode: Mode; fixed: Step; probe: Step }> {
  const env = environment(mode, round);
  const instances: Instance[] = [];
  const step = stepper(env, progress, () => instances.map((i) => i.pid));
  await startBenchServices(env, instances, mode !== "off");
  try {
    const rooms = await createBenchRooms(benchUrl("room"), benchSigning(env));
    const urls = [benchUrl("reservation")];
    await step(`${mode} warm-up`, urls, rooms, 30, 6);
    const fixed = await step(`${mode} round ${round}: ${abRate}/s`, urls, rooms, abRate, stepSeconds);
    const probe = await step(`${mode} round ${round}: ${abProbeRate}/s`, urls, rooms, abProbeRate, stepSeconds);
    return { mode, fixed, probe };
  } finally {
    await Promise.allSettled(instances.map((i) => i.stop()));
    if (mode !== "off")
      await deleteRunTopics(env).catch((err: Error) =>
        process.stderr.write(`bench: the run's topics were not deleted: ${err.message}\n`),
      );
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

async function main() {
  const { wasRunning } = await ensureStack();
  const plain = ["--port", String(PLAIN_PORT), "--controller-port", String(PLAIN_PORT + 1), "--data", PLAIN_DATA];
  await rm(PLAIN_DATA, { recursive: true, force: true });
  await exec("bash", [KAFKA_SCRIPT, "start", ...plain, "--security", "none"], { timeout: 180_000 });
  const results: Awaited<ReturnType<typeof measure>>[] = [];
  try {
    for (let round = 1; round <= abRounds; round++) {
      for (const mode of round % 2 === 1 ? MODES : [...MODES].reverse()) results.push(await measure(mode, round));
    }
  } finally {
    await exec("bash", [KAFKA_SCRIPT, "stop", ...plain]).catch((err: Error) =>
      process.stderr.write(`bench: the plain broker did not stop: ${err.message}\n`),
    );
    await rm(PLAIN_DATA, { recursive: true, force: true });
    if (!wasRunning)
      await stopStack().catch((err: Error) => process.stderr.write(`bench: the stack did not stop: ${err.message}\n`));
  }
  const rows = results.map(
    (r) =>
      `| ${r.mode} | ${r.fixed.saga.p50.toFixed(0)} | ${r.fixed.saga.p99.toFixed(0)} | ${r.fixed.completedPerSecond} | ${r.probe.completedPerSecond} | ${r.probe.saga.p99.toFixed(0)} | ${r.fixed.stealPercent} / ${r.probe.stealPercent} |`,
  );
  const summary = MODES.map((mode) => {
    const of = results.filter((r) => r.mode === mode);
    return `| median ${mode} | ${median(of.map((r) => r.fixed.saga.p50)).toFixed(0)} | ${median(of.map((r) => r.fixed.saga.p99)).toFixed(0)} | ${round(median(of.map((r) => r.fixed.completedPerSecond)))} | ${round(median(of.map((r) => r.probe.completedPerSecond)))} | ${median(of.map((r) => r.probe.saga.p99)).toFixed(0)} | |`;
  });
  process.stdout.write(
    [
      `security A/B/C, ${abRounds} rounds of each mode, interleaved; fixed ${abRate}/s and probe ${abProbeRate}/s for ${stepSeconds} s`,
      "",
      `| security | saga p50 at ${abRate}/s (ms) | p99 (ms) | completed/s | completed/s at ${abProbeRate}/s offered | its p99 (ms) | CPU stolen % |`,
      "|---|---|---|---|---|---|---|",
      ...rows,
      ...summary,
      "",
    ].join("\n"),
  );
}

await main();
