import net from "node:net";
import tls from "node:tls";
import type { FastifyBaseLogger } from "fastify";
import { type ISocketFactory, Kafka, type LogEntry, logLevel } from "kafkajs";
import type { KafkaConfig } from "../../config/service.js";
import { ConfigurationError, DependencyUnavailableError, someInChain } from "../../errors.js";
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
const socketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tls.connect({ host, port, servername: host, ...ssl }, onConnect)
    : net.connect({ host, port }, onConnect);
  socket.setNoDelay(true);
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
    sasl: config.sasl,
    ssl: config.ssl,
    socketFactory,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5_000 },
    logCreator:
      () =>
      ({ level, log: { message, ...extra } }: LogEntry) =>
        kafkaLog[levels[level] ?? "info"](extra, message),
  });
}

/** kafkajs' refusal of a login, however deeply its retries wrapped it. */
const saslRefused = (e: { name?: unknown; message?: unknown }) =>
  e.name === "KafkaJSSASLAuthenticationError" || /SASL .*authentication failed/i.test(String(e.message));

/** Why the brokers could not be used at start-up, in one line: refused credentials, or no broker. */
export function brokerUnavailable(config: KafkaConfig, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const at = config.brokers.join(",");
  if (someInChain(cause, saslRefused)) {
    return new ConfigurationError(
      `Kafka at ${at} refused the credentials of ${config.principal} (${reason}); check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
    );
  }
  const hint = config.sasl ? "" : " If the brokers require a login, set KAFKA_SASL_MECHANISM and its credentials.";
  return new DependencyUnavailableError(
    `Kafka is not reachable at ${at} (${reason}) with ${config.principal}. Start it with \`pnpm kafka:up\` or set KAFKA_BROKERS.${hint}`,
    { cause },
  );
}
