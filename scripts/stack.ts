// The whole system on this machine, in the background: `pnpm stack:up`, `pnpm stack:down`, `pnpm stack:status`.
// Kafka (KRaft, from Maven Central jars), every service's database migrated, every service; all on 127.0.0.1.
// `status` exits 1 when anything is not up, with one line on stderr saying what and what to run.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { failInOneLine, type KafkaLogin, reachDatabases, reachKafka, ToolFailure } from "@saga/ops/cli";
import { prepareDatabase, type ServiceDatabase, serviceDatabases } from "@saga/ops/databases";
import { provisionSystem } from "@saga/ops/kafka";
import { isReady, launchReconciler, launchService, pidFile, untilReady, urlOf } from "@saga/ops/launch";
import {
  KAFKA_SCRIPT,
  kafkaLogin,
  localAuthSecret,
  quietKafka,
  ROOT,
  serviceKafkaLogins,
  stackConfig,
  storedKafkaLogin,
} from "@saga/ops/local";
import { parseMetrics, sampleSum, sampleValue } from "@saga/ops/metrics";
import { loadReconcilerConfig } from "@saga/ops/reconciler";
import { SERVICES, settingsOf } from "@saga/ops/services";
import { describeDatabase } from "@saga/platform/sql";

failInOneLine("stack");
const exec = promisify(execFile);
const RUN_DIR = path.join(ROOT, ".data", "run");
const LOG_DIR = path.join(ROOT, ".data", "logs");
const READY_TIMEOUT_MS = 90_000;

const { kafkaBrokers, brokers } = stackConfig();
const databases = serviceDatabases();
/** The stack's settings as the services read them (their addresses, their topics). */
const stackEnv: NodeJS.ProcessEnv = { ...process.env, KAFKA_BROKERS: kafkaBrokers, AUTH_JWT_SECRET: localAuthSecret() };

/**
 * What every service is started with: the stack's broker, each service logged in as its own
 * principal (its password made now if the broker's first start is still to come); its database,
 * as its own role; tokens verified with the local stack's secret.
 */
const serviceEnv = (): NodeJS.ProcessEnv => ({
  ...stackEnv,
  ...serviceKafkaLogins(SERVICES),
  ...Object.fromEntries(databases.map((db: ServiceDatabase) => [db.envVar, db.appUrl])),
});

const services = SERVICES.map((name) => {
  const config = settingsOf(name).loadConfig(stackEnv);
  return { name, config, url: urlOf(config.host, config.port) };
});
type Service = (typeof services)[number];

/** What the stack runs as a process of its own (a service, or the reconciler): how to start it and what to show of it. */
interface Process {
  name: string;
  /** How a message names it: "room service", "reconciler". */
  what: string;
  url: string;
  /** What an operator checks first, from its metrics. */
  glance(): Promise<string>;
  launch(): { pid: number };
}

/** The live reconciler, as the operators' role on every service's database. */
const reconcilerEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  ...Object.fromEntries(databases.map((db) => [`RECONCILER_${db.envVar}`, db.operatorUrl])),
});
const reconcilerConfig = loadReconcilerConfig(process.env);
const reconcilerUrl = urlOf(reconcilerConfig.host, reconcilerConfig.port);
const reconciler: Process = {
  name: "reconciler",
  what: "reconciler",
  url: reconcilerUrl,
  glance: () => reconcilerGlance(reconcilerUrl),
  launch: () =>
    launchReconciler({
      env: reconcilerEnv(),
      host: reconcilerConfig.host,
      port: reconcilerConfig.port,
      output: { file: logFile("reconciler") },
      detached: true,
    }),
};

const pidOf = (name: string) => pidFile(path.join(RUN_DIR, `${name}.pid`));
const logFile = (name: string) => path.join(LOG_DIR, `${name}.log`);
const runningPid = (name: string) => pidOf(name).running();

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
    await exec("bash", [KAFKA_SCRIPT, "start"], { timeout: 240_000 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim().split("\n").pop();
    fail(`Kafka did not start: ${stderr ?? (err as Error).message}`);
  }
}

const asProcess = (service: Service, env: NodeJS.ProcessEnv = {}): Process => ({
  name: service.name,
  what: `${service.name} service`,
  url: service.url,
  glance: () => glance(service.url),
  launch: () =>
    launchService(service.name, {
      env,
      host: service.config.host,
      port: service.config.port,
      output: { file: logFile(service.name) },
      detached: true,
    }),
});

async function startProcess(proc: Process) {
  if (runningPid(proc.name) && (await isReady(proc.url))) return;
  pidOf(proc.name).record(proc.launch().pid);
}

async function waitReady(service: Process) {
  try {
    await untilReady(service.url, service.what, READY_TIMEOUT_MS, () => !runningPid(service.name));
  } catch (err) {
    const exited = !runningPid(service.name);
    fail(
      `${(err as Error).message}${exited ? `:\n${tail(logFile(service.name))}` : `; log: ${logFile(service.name)}`}`,
    );
  }
}

/** Stops a process of the stack: its whole group (it was started detached), killed if it lingers 20 s. */
const stopService = (name: string) => pidOf(name).stop({ group: true });

async function up() {
  const env = serviceEnv();
  console.log("stack: starting Kafka");
  await startKafka();
  // The topics and, for each service and the operators, the ACLs of the saga's data flow (as the super user).
  await provisionSystem(env, kafkaLogin("admin")).catch((err: Error) =>
    fail(`Kafka topics and ACLs could not be provisioned: ${err.message}`),
  );
  console.log("stack: migrating databases");
  for (const db of databases) await prepareDatabase(db).catch((err: Error) => fail(err.message));
  const processes = [...services.map((service) => asProcess(service, env)), reconciler];
  for (const proc of processes) await startProcess(proc);
  for (const proc of processes) await waitReady(proc);
  for (const service of services)
    console.log(`stack: ${service.name} service ready at ${service.url} (log ${logFile(service.name)})`);
  console.log(`stack: reconciler checking the invariant at ${reconciler.url}/metrics (log ${logFile("reconciler")})`);
  console.log(`stack: Kafka at ${kafkaBrokers}; stop everything with \`pnpm stack:down\``);
}

async function down() {
  await stopService(reconciler.name);
  for (const service of [...services].reverse()) await stopService(service.name);
  await exec("bash", [KAFKA_SCRIPT, "stop"], { timeout: 90_000 }).catch((err) =>
    fail(`Kafka did not stop: ${err.message}`),
  );
  console.log("stack: stopped");
}

/** What an operator checks first, from the services' own metrics: what waits, what is owed, what lags. */
async function glance(url: string): Promise<string> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
    const samples = parseMetrics(await res.text());
    const sum = (name: string) => sampleSum(samples, name);
    const seconds = (name: string) => `${Math.round(sampleValue(samples, name) ?? 0)} s`;
    const max = (name: string) => Math.max(0, ...samples.filter((s) => s.name === name).map((s) => s.value));
    // The reservation service's bookings waiting on the saga, in any waiting state.
    const pending = samples.some((s) => s.name === "saga_waiting_bookings")
      ? `waiting ${sum("saga_waiting_bookings")} (${sum("saga_overdue_bookings")} past their deadline, longest by ${Math.round(max("saga_longest_overdue_seconds"))} s), `
      : "";
    return `${pending}outbox ${sampleValue(samples, "outbox_backlog_messages")} owed (oldest ${seconds("outbox_oldest_message_age_seconds")}), lag ${sum("kafka_consumer_lag_messages")}`;
  } catch (err) {
    return `metrics unavailable (${(err as Error).message})`;
  }
}

/** What the reconciler last found: the discrepancies it counts, and how long ago its last pass ended. */
async function reconcilerGlance(url: string): Promise<string> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
    const samples = parseMetrics(await res.text());
    const found = samples.filter((s) => s.name === "saga_invariant_discrepancies" && s.value > 0);
    const total = sampleSum(samples, "saga_invariant_discrepancies");
    const kinds = found.map((s) => `${s.labels.kind} ${s.value}`).join(", ");
    const last = sampleValue(samples, "reconciler_last_pass_timestamp_seconds");
    const ago = last ? `last pass ${Math.round(Date.now() / 1000 - last)} s ago` : "no pass yet";
    return `${total} discrepancies${total > 0 ? ` (${kinds}; see ${url}/discrepancies)` : ""}, ${ago}`;
  } catch (err) {
    return `metrics unavailable (${(err as Error).message})`;
  }
}

/** Records the dead-letter topic took in the last hour, read by the operators' principal. */
async function recentDeadLetters(login: KafkaLogin): Promise<string> {
  const admin = quietKafka(login.sasl, brokers, "stack").admin();
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

/** What `check` finds, or the failure it tells the operator of. */
const orFailure = <T>(check: () => Promise<T>): Promise<T | ToolFailure> =>
  check().catch((err: unknown) => {
    if (err instanceof ToolFailure) return err;
    throw err;
  });
const said = (found: string | ToolFailure) => (found instanceof ToolFailure ? found.message : found);

async function status() {
  const notReady: string[] = [];
  for (const proc of [...services.map((service) => asProcess(service)), reconciler]) {
    const ready = await isReady(proc.url);
    const state = ready ? "ready" : runningPid(proc.name) ? "running, not ready" : "stopped";
    const extra = ready ? `; ${await proc.glance()}` : "";
    console.log(`${proc.name}: ${state} (${proc.url})${extra}`);
    if (!ready) notReady.push(`${proc.name} (${proc.url})`);
  }
  const kafka = await orFailure(async () => {
    const login = storedKafkaLogin("operator");
    await reachKafka(brokers, login);
    return `ready; ${await recentDeadLetters(login)}`;
  });
  console.log(`kafka: ${said(kafka)}`);
  const postgres = await orFailure(async () => {
    await reachDatabases(databases.map((db) => ({ url: db.operatorUrl, setting: db.envVar })));
    return `ready (${databases.map((db) => describeDatabase(db.url)).join(", ")})`;
  });
  console.log(`postgres: ${said(postgres)}`);
  // The line on stderr leads with what the rest waits on, and what to do about it.
  const [first, ...others] = [postgres, kafka].filter((found) => found instanceof ToolFailure);
  const down = [
    ...others.map((f) => f.what),
    ...(notReady.length > 0 ? [`services not ready: ${notReady.join(", ")}`] : []),
  ];
  if (first) throw new ToolFailure(down.length > 0 ? `${first.message}; also ${down.join("; ")}` : first.message);
  if (down.length > 0) throw new ToolFailure(down.join("; "), "run `npm start`");
}

const commands: Record<string, () => Promise<void>> = { up, down, status };
const command = commands[process.argv[2] ?? ""];
if (!command) fail("usage: tsx scripts/stack.ts up|down|status");
await command();
