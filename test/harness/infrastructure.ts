import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { KAFKA_SCRIPT, ROOT } from "@saga/ops/local";
import { freePortPair, portsFree } from "@saga/ops/ports";
import { inject } from "vitest";

const run = promisify(execFile);

/** Where the tests' Kafka and PostgreSQL are, and how to give them back. */
export interface Infrastructure {
  source: "environment" | "testcontainers" | "local";
  brokers: string[];
  /** A URL on the PostgreSQL server on which each run creates databases and roles of its own (a superuser's). */
  postgresUrl: string;
  /** Where kafka.sh keeps the principals' passwords, when the brokers take logins (see kafka.sh). */
  kafkaCredentialsDir?: string;
  stop(): Promise<void>;
}

/** The run's credentials: every broker a test starts takes the same logins, so its services can log in. */
const runCredentialsDir = (): string | undefined => inject("infra").kafkaCredentialsDir;

const credentialArgs = (dir: string | undefined) => (dir ? ["--credentials", dir] : ["--security", "none"]);

/** Kafka and PostgreSQL from testcontainers (`TEST_INFRA=containers`, as `pnpm test:containers` sets). */
async function fromTestcontainers(): Promise<Infrastructure> {
  const { startKafkaContainer, startPostgresContainer } = await import("./containers.js");
  const [kafka, postgres] = await Promise.all([startKafkaContainer(), startPostgresContainer()]);
  return {
    source: "testcontainers",
    brokers: kafka.brokers,
    postgresUrl: postgres.url,
    stop: async () => {
      await Promise.all([kafka.container.stop(), postgres.container.stop()]);
    },
  };
}

export interface LocalBroker {
  brokers: string[];
  /** Starts it again on the same data (after `stop`), as an operator would after an outage. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The broker's process id, read from its pid file. */
  pid(): Promise<number>;
}

/**
 * The same broker the stack runs (Kafka's own jars, KRaft, loopback), on a port and data folder of
 * the tests, with any broker settings added (`group.max.size=1`, say).
 */
export async function startLocalBroker(
  port: number,
  settings: string[] = [],
  credentialsDir = runCredentialsDir(),
): Promise<LocalBroker> {
  const dataDir = path.join(ROOT, ".data", `test-kafka-${port}`);
  const args = ["--port", String(port), "--controller-port", String(port + 1), "--data", dataDir];
  const start = [...args, ...credentialArgs(credentialsDir), ...settings.flatMap((setting) => ["--property", setting])];
  const broker: LocalBroker = {
    brokers: [`127.0.0.1:${port}`],
    start: async () => {
      await run("bash", [KAFKA_SCRIPT, "start", ...start], { timeout: 180_000 });
    },
    stop: async () => {
      await run("bash", [KAFKA_SCRIPT, "stop", ...args], { timeout: 60_000 });
    },
    pid: async () => Number(await readFile(path.join(dataDir, "kafka.pid"), "utf8")),
  };
  await broker.stop();
  await rm(dataDir, { recursive: true, force: true });
  await broker.start();
  return broker;
}

export async function provideInfrastructure(env = process.env): Promise<Infrastructure> {
  const postgresUrl = env.TEST_DATABASE_URL;
  if (env.KAFKA_BROKERS && postgresUrl) {
    const kafkaCredentialsDir = env.KAFKA_CREDENTIALS_DIR;
    return {
      source: "environment",
      brokers: env.KAFKA_BROKERS.split(","),
      postgresUrl,
      kafkaCredentialsDir,
      stop: async () => {},
    };
  }
  if (env.TEST_INFRA === "containers") return fromTestcontainers();
  const port = await freePortPair();
  const kafkaCredentialsDir = path.join(ROOT, ".data", `test-kafka-credentials-${port}`);
  await rm(kafkaCredentialsDir, { recursive: true, force: true });
  const broker = await startLocalBroker(port, [], kafkaCredentialsDir);
  return {
    source: "local",
    brokers: broker.brokers,
    postgresUrl: postgresUrl ?? "postgresql://postgres@127.0.0.1:5432/postgres",
    kafkaCredentialsDir,
    stop: async () => {
      await broker.stop();
      await rm(kafkaCredentialsDir, { recursive: true, force: true });
    },
  };
}

export interface LocalCluster {
  brokers: string[];
  /** Kills one node outright (SIGKILL), as a crashed machine would. */
  kill(nodeId: number): Promise<void>;
  stop(): Promise<void>;
}

/** Three KRaft nodes on loopback (controller quorum of three), node i on base + 100 * (i - 1). */
export async function startLocalCluster(credentialsDir = runCredentialsDir()): Promise<LocalCluster> {
  let base = 0;
  for (let attempt = 0; attempt < 50 && !base; attempt++) {
    const candidate = 20_000 + Math.floor(Math.random() * 8_000) * 2;
    if (await portsFree([0, 1, 100, 101, 200, 201].map((d) => candidate + d))) base = candidate;
  }
  if (!base) throw new Error("no free ports for a three-node cluster");
  const root = path.join(ROOT, ".data", `test-cluster-${base}`);
  await rm(root, { recursive: true, force: true });
  const env = { ...process.env, KAFKA_CLUSTER_BASE_PORT: String(base) };
  const start = ["start-cluster", "--data-root", root, ...credentialArgs(credentialsDir)];
  await run("bash", [KAFKA_SCRIPT, ...start], { env, timeout: 240_000 });
  return {
    brokers: [0, 100, 200].map((d) => `127.0.0.1:${base + d}`),
    kill: async (nodeId) => {
      const pid = Number(await readFile(path.join(root, String(nodeId), "kafka.pid"), "utf8"));
      process.kill(pid, "SIGKILL");
    },
    stop: async () => {
      await run("bash", [KAFKA_SCRIPT, "stop-cluster", "--data-root", root], { env, timeout: 120_000 });
    },
  };
}
