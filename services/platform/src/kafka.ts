import net from "node:net";
import type { FastifyBaseLogger } from "fastify";
import { type Admin, type ISocketFactory, Kafka, type LogEntry, logLevel, type Producer } from "kafkajs";
import type { KafkaConfig } from "./config.js";
import { DependencyUnavailableError } from "./errors.js";

const levels: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/**
 * kafkajs' own socket factory leaves Nagle's algorithm on: a request written while an earlier one
 * on the same connection is unacknowledged (an offset commit behind a fetch waiting at the broker)
 * waits for that acknowledgement, up to the peer's delayed-ACK timer. Every request here is one
 * complete write, so nothing is gained by coalescing: send at once, as the broker itself does.
 */
const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
  const socket = net.connect({ host, port, noDelay: true }, onConnect);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

export function createKafka(config: KafkaConfig, log: FastifyBaseLogger): Kafka {
  const kafkaLog = log.child({ component: "kafkajs" });
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: config.connectTimeoutMs,
    socketFactory,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5_000 },
    logCreator:
      () =>
      ({ level, log: { message, ...extra } }: LogEntry) =>
        kafkaLog[levels[level] ?? "info"](extra, message),
  });
}

export function brokerUnavailable(config: KafkaConfig, cause: unknown): DependencyUnavailableError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new DependencyUnavailableError(
    `Kafka is not reachable at ${config.brokers.join(",")} (${reason}). Start it with \`pnpm kafka:up\` or set KAFKA_BROKERS.`,
    { cause },
  );
}

/** Creates the topics this service uses (idempotent); never rely on broker auto-creation. */
export async function ensureTopics(admin: Admin, config: KafkaConfig, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: config.partitions,
      replicationFactor: config.replicationFactor,
      configEntries:
        config.replicationFactor > 1
          ? [
              {
                name: "min.insync.replicas",
                value: String(Math.min(2, config.replicationFactor)),
              },
            ]
          : [],
    })),
  });
}

/** An idempotent producer that waits for all in-sync replicas. */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
}
