import net from "node:net";
import type { FastifyBaseLogger } from "fastify";
import { type ISocketFactory, Kafka, type LogEntry, logLevel } from "kafkajs";
import type { KafkaConfig } from "../config.js";
import { DependencyUnavailableError } from "../errors.js";
import { registerCodecs } from "./codecs.js";

const levels: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/**
 * kafkajs' own socket factory leaves Nagle's algorithm on: a request written while an earlier one
 * on the same connection is unacknowledged waits for that acknowledgement. Every request here is
 * one complete write, so nothing is gained by coalescing: send at once, as the broker itself does.
 */
const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
  const socket = net.connect({ host, port, noDelay: true }, onConnect);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

export function createKafka(config: KafkaConfig, log: FastifyBaseLogger): Kafka {
  registerCodecs();
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
