// The whole system on this machine, in the background: `pnpm stack:up`, `pnpm stack:down`, `pnpm stack:status`.
// Kafka (KRaft, from Maven Central jars), both databases migrated, both services; all on 127.0.0.1.
import { execFile, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { parseMetrics, sampleValue } from "@saga/platform";
import { loadConfig as loadReservationConfig } from "@saga/reservation";
import { loadConfig as loadRoomConfig } from "@saga/room";
import { localAuthSecret } from "./auth-secret.js";
import { prepareDatabase, ROOT, serviceDatabases } from "./databases.js";
import { kafkaLoginEnv, localKafka } from "./local-access.js";
import { provisionLocalKafka } from "./provisioning.js";
import { stackConfig } from "./stack-config.js";

const exec = promisify(execFile);
const RUN_DIR = path.join(ROOT, ".data", "run");
const LOG_DIR = path.join(ROOT, ".data", "logs");
const KAFKA = path.join(ROOT, "infra", "kafka", "kafka.sh");
const READY_TIMEOUT_MS = 90_000;

const { kafkaBrokers } = stackConfig();
const databases = serviceDatabases();
const databaseOf = (service: string) => databases.find((db) => db.service === service);

/**
 * What each service is started with: the stack's broker, logged in as the service's own principal;
 * its database, as its own role; tokens verified with the local stack's secret (see auth-secret.ts).
 */
function serviceEnv(service: "reservation" | "room"): NodeJS.ProcessEnv {
  const db = databaseOf(service);
  return {
    ...process.env,
    KAFKA_BROKERS: kafkaBrokers,
    AUTH_JWT_SECRET: localAuthSecret(),
    ...kafkaLoginEnv(service),
    ...(db ? { [db.envVar]: db.appUrl } : {}),
  };
}

const entries = { room: "services/room/src/server.ts", reservation: "services/reservation/src/server.ts" } as const;
const loaders = { room: loadRoomConfig, reservation: loadReservationConfig };
const services = (["room", "reservation"] as const).map((name) => {
  const env = serviceEnv(name);
  const config = loaders[name](env);
  return { name, entry: entries[name], env, config, ...pick(config) };
});

function pick(config: { host: string; port: number }) {
  return { url: `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${config.port}` };
}

const pidFile = (name: string) => path.join(RUN_DIR, `${name}.pid`);
const logFile = (name: string) => path.join(LOG_DIR, `${name}.log`);

function runningPid(name: string): number | undefined {
  if (!existsSync(pidFile(name))) return undefined;
  const pid = Number(readFileSync(pidFile(name), "utf8"));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

function fail(message: string): never {
  console.error(`stack: ${message}`);
  process.exit(1);
}

function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return "";
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

async function startKafka() {
  try {
    await exec("bash", [KAFKA, "start"], { timeout: 240_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim().split("\n").pop();
    fail(`Kafka did not start: ${stderr ?? (err as Error).message}`);
  }
}

/** The topics and, for each service and the operators, the ACLs of the saga's data flow (as the super user). */
async function provisionTopics() {
  try {
    const configs = Object.fromEntries(services.map((service) => [service.name, service.config]));
    await provisionLocalKafka(kafkaBrokers.split(","), configs);
  } catch (err) {
    fail(`Kafka topics and ACLs could not be provisioned: ${(err as Error).message}`);
  }
}

async function migrateAll() {
  for (const db of databases) {
    try {
      await prepareDatabase(db);
    } catch (err) {
      fail((err as Error).message);
    }
  }
}

async function startService(service: (typeof services)[number]) {
  if (runningPid(service.name) && (await ready(service.url))) return;
  mkdirSync(RUN_DIR, { recursive: true });
  mkdirSync(LOG_DIR, { recursive: true });
  const out = openSync(logFile(service.name), "a");
  const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");
  const child = spawn(tsx, [service.entry], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", out, out],
    env: service.env,
  });
  closeSync(out);
  writeFileSync(pidFile(service.name), String(child.pid));
  child.unref();
}

async function waitReady(service: (typeof services)[number]) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await ready(service.url)) return;
    if (!runningPid(service.name)) {
      fail(`${service.name} service exited while starting:\n${tail(logFile(service.name))}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  fail(
    `${service.name} service not ready at ${service.url} after ${READY_TIMEOUT_MS / 1000} s; log: ${logFile(service.name)}`,
  );
}

async function stopService(name: string) {
  const pid = runningPid(name);
  if (pid) {
    process.kill(-pid, "SIGTERM");
    const deadline = Date.now() + 20_000;
    while (runningPid(name) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (runningPid(name)) process.kill(-pid, "SIGKILL");
  }
  rmSync(pidFile(name), { force: true });
}

async function up() {
  console.log("stack: starting Kafka");
  await startKafka();
  await provisionTopics();
  console.log("stack: migrating databases");
  await migrateAll();
  for (const service of services) await startService(service);
  for (const service of services) await waitReady(service);
  for (const service of services)
    console.log(`stack: ${service.name} service ready at ${service.url} (log ${logFile(service.name)})`);
  console.log(`stack: Kafka at ${kafkaBrokers}; stop everything with \`pnpm stack:down\``);
}

async function down() {
  for (const service of [...services].reverse()) await stopService(service.name);
  await exec("bash", [KAFKA, "stop"], { timeout: 90_000 }).catch((err) => fail(`Kafka did not stop: ${err.message}`));
  console.log("stack: stopped");
}

/** What an operator checks first, from the services' own metrics: what waits, what is owed, what lags. */
async function glance(url: string): Promise<string> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
    const samples = parseMetrics(await res.text());
    const sum = (name: string) => samples.filter((s) => s.name === name).reduce((total, s) => total + s.value, 0);
    const seconds = (name: string) => `${Math.round(sampleValue(samples, name) ?? 0)} s`;
    const pending = samples.some((s) => s.name === "saga_pending_bookings")
      ? `pending ${sampleValue(samples, "saga_pending_bookings")} (oldest ${seconds("saga_oldest_pending_seconds")}), `
      : "";
    return `${pending}outbox ${sampleValue(samples, "outbox_backlog_messages")} owed (oldest ${seconds("outbox_oldest_message_age_seconds")}), lag ${sum("kafka_consumer_lag_messages")}`;
  } catch (err) {
    return `metrics unavailable (${(err as Error).message})`;
  }
}

/** Records the dead-letter topic took in the last hour, read by the operators' principal. */
async function recentDeadLetters(): Promise<string> {
  const admin = localKafka("operator", kafkaBrokers.split(","), "stack").admin();
  try {
    await admin.connect();
    const topic = services[0]?.config.topics.deadLetter ?? "dead-letter";
    const [ends, hourAgo] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - 3_600_000),
    ]);
    const since = new Map(hourAgo.map((p) => [p.partition, Number(p.offset)]));
    const count = ends.reduce((total, p) => total + Number(p.high) - (since.get(p.partition) ?? Number(p.high)), 0);
    return `${count} dead letters in the last hour`;
  } catch (err) {
    return `dead letters unknown (${(err as Error).message})`;
  } finally {
    await admin.disconnect();
  }
}

async function status() {
  for (const service of services) {
    const isReady = await ready(service.url);
    const state = isReady ? "ready" : runningPid(service.name) ? "running, not ready" : "stopped";
    const extra = isReady ? `; ${await glance(service.url)}` : "";
    console.log(`${service.name}: ${state} (${service.url})${extra}`);
  }
  const kafka = await exec("bash", [KAFKA, "status"]).then(
    () => "ready",
    () => "stopped",
  );
  console.log(`kafka: ${kafka}${kafka === "ready" ? `; ${await recentDeadLetters()}` : ""}`);
}

const commands: Record<string, () => Promise<void>> = { up, down, status };
const command = commands[process.argv[2] ?? ""];
if (!command) fail("usage: tsx scripts/stack.ts up|down|status");
await command();
