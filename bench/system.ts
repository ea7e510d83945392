import { execFile, execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import type { ServiceName } from "@saga/contracts";
import { asRole, dropDatabase, prepareDatabase, serviceDatabases, withDatabase } from "@saga/ops/databases";
import { provisionSystem, revokeAcls } from "@saga/ops/kafka";
import { launchService } from "@saga/ops/launch";
import { kafkaLogin, localAuthSecret, localKafka, ROOT, serviceKafkaLogins, stackConfig } from "@saga/ops/local";
import { SERVICES, serviceConfigs } from "@saga/ops/services";
import { loadAuthConfig } from "@saga/platform/config";
import type { Admin } from "kafkajs";
import pg from "pg";
import { benchConfig } from "./config.js";

const exec = promisify(execFile);

const stack = (command: "up" | "down" | "status") =>
  exec(process.execPath, ["--import", "tsx", "scripts/stack.ts", command], { cwd: ROOT, timeout: 300_000 });

/**
 * Starts the stack of `pnpm stack:up` when it is not running (idempotent): Kafka, PostgreSQL
 * migrated, services. Returns whether it was already up, so the bench stops only what it started.
 */
export async function ensureStack(): Promise<{ wasRunning: boolean }> {
  // `stack:status` exits 0 only when every part of the stack is up.
  const wasRunning = await stack("status").then(
    () => true,
    () => false,
  );
  await stack("up");
  return { wasRunning };
}

export async function stopStack(): Promise<void> {
  await stack("down");
}

/** CPU time of the whole machine, from /proc/stat: all of it, and what the hypervisor stole. */
export function cpuTicks(): { total: number; steal: number } {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
    return { total: user + nice + system + idle + iowait + irq + softirq + steal, steal };
  } catch {
    return { total: 0, steal: 0 };
  }
}

/** The parts a booking's CPU time is spent in: the bench's service instances, PostgreSQL, the broker. */
export type CpuPart = "services" | "postgres" | "kafka";
export type CpuReading = Map<number, { part: CpuPart; ms: number }>;

/** Milliseconds per clock tick of /proc's CPU times (CLK_TCK, 100 on Linux almost everywhere). */
const TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  } catch {
    return 10;
  }
})();

/** user + system CPU time of one process, in ms, from /proc/<pid>/stat; undefined once it is gone. */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // After the command name in parentheses: field 3 (state) is [0], utime (14) [11], stime (15) [12].
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/**
 * The CPU time so far of every process a booking costs: the given service instances, every
 * PostgreSQL process (backends, WAL writer, checkpointer, autovacuum) and the Kafka broker's JVM.
 * The load generator is left out: it stands for the guests.
 */
export function cpuReading(servicePids: number[]): CpuReading {
  const reading: CpuReading = new Map();
  const add = (pid: number, part: CpuPart) => {
    const ms = processCpuMs(pid);
    if (ms !== undefined) reading.set(pid, { part, ms });
  };
  for (const pid of servicePids) add(pid, "services");
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || reading.has(pid)) continue;
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      if (comm === "postgres") add(pid, "postgres");
      else if (comm === "java" && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("kafka.Kafka"))
        add(pid, "kafka");
    } catch {}
  }
  return reading;
}

/** CPU ms spent in each part between two readings (a process that started in between counts from 0). */
export function cpuSpent(from: CpuReading, to: CpuReading): Record<CpuPart | "total", number> {
  const spent = { services: 0, postgres: 0, kafka: 0, total: 0 };
  for (const [pid, { part, ms }] of to) {
    const delta = ms - (from.get(pid)?.ms ?? 0);
    spent[part] += delta;
    spent.total += delta;
  }
  return spent;
}

/** Share (in %) of the machine's CPU time between two readings that the hypervisor gave to others. */
export function stealPercent(from: ReturnType<typeof cpuTicks>, to: ReturnType<typeof cpuTicks>): number {
  const total = to.total - from.total;
  return total > 0 ? (100 * (to.steal - from.steal)) / total : 0;
}

/**
 * The bench runs its own instances of both services, on the stack's broker and PostgreSQL server
 * but with databases and topics of their own, so it can reset what is stored and scale instances
 * without touching the stack's data. They log in as the stack does: each service as its own Kafka
 * principal and database role; the bench itself administers (`adminUrl`, the `admin` principal).
 */
export function benchEnvironment(runId: string): NodeJS.ProcessEnv {
  const own = Object.fromEntries(
    serviceDatabases().map((db) => [db.envVar, withDatabase(db.url, `hotel_bench_${db.service}`)]),
  );
  const bench = serviceDatabases({ ...process.env, ...own });
  return {
    ...process.env,
    ...Object.fromEntries(bench.map((db) => [db.envVar, db.appUrl])),
    KAFKA_BROKERS: benchConfig().kafkaBrokers,
    KAFKA_TOPIC_PREFIX: `bench-${runId}.`,
    ...serviceKafkaLogins(SERVICES),
    LOG_LEVEL: "warn",
    AUTH_JWT_SECRET: localAuthSecret(),
    // Every booking is a guest's, with a token; the limits are there, raised out of the bench's way.
    RATE_LIMIT_BOOKINGS_PER_MINUTE: "1000000",
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: "1000000",
    MAX_ACTIVE_BOOKINGS_PER_GUEST: "1000000",
  };
}

/** The bench's own URL of a service database (`env`'s, as the server's superuser): it seeds, truncates, vacuums. */
export const adminUrl = (url: string | undefined) => asRole(url ?? "", stackConfig().postgresAdmin);

const brokersOf = (env: NodeJS.ProcessEnv) => (env.KAFKA_BROKERS ?? "").split(",");

/** A kafkajs client of the run's broker, logged in as the stack's `admin`. */
export const runKafka = (env: NodeJS.ProcessEnv, clientId = "bench") => localKafka("admin", brokersOf(env), clientId);

/** `fn` with a connected admin client of the run's broker, disconnected after. */
export async function withRunAdmin<T>(env: NodeJS.ProcessEnv, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = runKafka(env).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Deletes the bench run's topics and consumer groups (their names start with the run's prefix), so
 * runs do not pile partitions up on the broker. The services using them must have stopped.
 */
export async function deleteRunTopics(env: NodeJS.ProcessEnv): Promise<number> {
  const prefix = env.KAFKA_TOPIC_PREFIX ?? "";
  if (!prefix) return 0;
  return withRunAdmin(env, async (admin) => {
    const { groups } = await admin.listGroups();
    const ours = groups.map((g) => g.groupId).filter((id) => id.startsWith(prefix));
    if (ours.length > 0) await admin.deleteGroups(ours);
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    // Provisioning granted ACLs on the run's own names: they go with the names.
    const services = serviceConfigs(env);
    await revokeAcls(admin, [...SERVICES, "operator"], {
      topics: [...new Set(services.flatMap((s) => Object.values(s.topics)))],
      groups: services.map((s) => s.kafka.groupId),
      groupPrefixes: [`${prefix}operator`],
    });
    return topics.length;
  });
}

/**
 * Waits until each service's consumer group of the run is stable with `members` members: the
 * rebalance that instances joining cause is over (30 s at most, then an error).
 */
export async function untilGroupsStable(env: NodeJS.ProcessEnv, members: number): Promise<void> {
  const groups = serviceConfigs(env).map((s) => s.kafka.groupId);
  await withRunAdmin(env, async (admin) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const described = (await admin.describeGroups(groups)).groups;
      if (described.every((g) => g.state === "Stable" && g.members.length === members)) return;
      if (Date.now() > deadline) {
        const states = described.map((g) => `${g.groupId} ${g.state}, ${g.members.length} members`).join("; ");
        throw new Error(`consumer groups not stable with ${members} members after 30 s: ${states}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
}

export async function resetDatabases(env: NodeJS.ProcessEnv): Promise<void> {
  for (const db of serviceDatabases(env)) {
    await dropDatabase(db.adminUrl);
    await prepareDatabase(db);
  }
}

export function pool(url: string): pg.Pool {
  return new pg.Pool({ connectionString: url, max: 4 });
}

export interface Instance {
  url: string;
  pid: number;
  stop(): Promise<unknown>;
}

/** Where the bench runs instance `instance` of a service: 3100 + 10 × instance + its place in the launcher's list. */
export const benchUrl = (service: ServiceName, instance = 0) =>
  `http://127.0.0.1:${3100 + 10 * instance + SERVICES.indexOf(service)}`;

/**
 * Fresh bench databases and run topics (with their ACLs when `secured`), then one instance of each
 * service (see benchUrl), pushed on `instances`, which the caller stops.
 */
export async function startBenchServices(env: NodeJS.ProcessEnv, instances: Instance[], secured = true) {
  await resetDatabases(env);
  await provisionSystem(env, secured ? kafkaLogin("admin") : undefined);
  instances.push(...(await startInstances(env, 0)));
}

/**
 * Instance `instance` of every service, each its own process, in the launcher's order; the
 * instances of a service share its consumer group.
 */
export async function startInstances(env: NodeJS.ProcessEnv, instance: number): Promise<Instance[]> {
  const { cpuProfileDir, nodeFlags } = benchConfig();
  const profile = cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfileDir}`] : [];
  const started: Instance[] = [];
  for (const service of SERVICES) {
    const port = Number(new URL(benchUrl(service, instance)).port);
    const launched = launchService(service, {
      env,
      port,
      output: "inherit-stderr",
      nodeFlags: [...nodeFlags, ...profile],
    });
    await launched.ready();
    started.push(launched);
  }
  return started;
}

/** How the bench mints tokens its services accept. */
export function benchSigning(env: NodeJS.ProcessEnv) {
  const { issuer, audience } = loadAuthConfig(env);
  return { secret: env.AUTH_JWT_SECRET as string, issuer, audience };
}
