// Kafka and PostgreSQL in containers, started by testcontainers (`pnpm test:containers`). The
// images are the public ones unless KAFKA_IMAGE and POSTGRES_IMAGE name others (CI names those
// `pnpm images:build` made here, as no registry is reachable); both kinds take the same settings.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { freePortPair } from "@saga/ops/ports";
import { GenericContainer, type StartedTestContainer, Wait } from "testcontainers";

const run = promisify(execFile);

const IMAGES = {
  kafka: process.env.KAFKA_IMAGE ?? "apache/kafka:4.1.2",
  postgres: process.env.POSTGRES_IMAGE ?? "postgres:15",
};

/** One docker command (pause, network disconnect, …) on the engine testcontainers uses. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run("docker", args, { timeout: 60_000 });
  return stdout.trim();
}

export interface KafkaContainer {
  container: StartedTestContainer;
  brokers: string[];
  /** The container's id, for `docker pause` and `docker network disconnect`. */
  id: string;
}

/**
 * One combined KRaft broker and controller, without logins. Its client port is the same number
 * inside and outside (a free one), so the address it advertises is the one the host reaches.
 */
export async function startKafkaContainer(): Promise<KafkaContainer> {
  const port = await freePortPair();
  const container = await new GenericContainer(IMAGES.kafka)
    .withExposedPorts({ container: port, host: port })
    .withEnvironment({
      CLUSTER_ID: "5L6g3nShT-eMCtK--X86sw",
      KAFKA_NODE_ID: "1",
      KAFKA_PROCESS_ROLES: "broker,controller",
      KAFKA_LISTENERS: `PLAINTEXT://:${port},CONTROLLER://:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
      KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
      KAFKA_CONTROLLER_QUORUM_VOTERS: "1@localhost:9093",
      KAFKA_INTER_BROKER_LISTENER_NAME: "PLAINTEXT",
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false",
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0",
      KAFKA_NUM_PARTITIONS: "6",
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(120_000)
    .start();
  return { container, brokers: [`127.0.0.1:${port}`], id: container.getId() };
}

export interface PostgresContainer {
  container: StartedTestContainer;
  /** A superuser's URL (trust auth), on which each run makes its own databases and roles. */
  url: string;
  id: string;
}

export async function startPostgresContainer(): Promise<PostgresContainer> {
  const container = await new GenericContainer(IMAGES.postgres)
    .withExposedPorts(5432)
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: "trust" })
    // A test database: durability is not what is tested, connections are many.
    .withCommand(["postgres", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "max_connections=400"])
    .withWaitStrategy(Wait.forSuccessfulCommand("pg_isready -h 127.0.0.1 -U postgres"))
    .withStartupTimeout(120_000)
    .start();
  const url = `postgresql://postgres@${container.getHost()}:${container.getMappedPort(5432)}/postgres`;
  return { container, url, id: container.getId() };
}

/**
 * Freezes a container in place: its sockets stay open and nothing in it runs. `docker pause` (the
 * cgroup freezer) first; runc gives up with "unable to freeze" when the freezer does not settle in
 * time, which a fresh-clone CI run on a loaded 2-core machine hit once (moby/moby#48205), so it is
 * tried three times and then the container's processes are stopped with SIGSTOP instead, which
 * freezes the broker the same way (an ancestor namespace's SIGSTOP reaches PID 1). Returns how it
 * froze, and the thaw that undoes exactly that.
 */
export async function freezeContainer(id: string): Promise<{ how: "pause" | "sigstop"; thaw: () => Promise<void> }> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await docker("pause", id);
      if ((await docker("inspect", "--format", "{{.State.Status}}", id)) !== "paused") throw new Error("not paused");
      return { how: "pause", thaw: async () => void (await docker("unpause", id)) };
    } catch (error) {
      if (!/unable to freeze/.test(String(error))) throw error;
    }
  }
  await docker("kill", "--signal", "SIGSTOP", id);
  const states = await docker("top", id, "-o", "pid,stat");
  if (!/\n\s*\d+\s+T/.test(states)) throw new Error(`SIGSTOP did not stop the container's processes:\n${states}`);
  return { how: "sigstop", thaw: async () => void (await docker("kill", "--signal", "SIGCONT", id)) };
}
