import { FLOWS, type ServiceName, topicNames } from "@saga/contracts";
import { z } from "zod";
import { authChecks, authConfig, authFields } from "./auth.js";
import { count, longMillis, millis, millisOrZero, parseEnv, port } from "./env.js";
import { kafkaSecurityChecks, kafkaSecurityConfig, kafkaSecurityFields } from "./kafka-security.js";

const brokerList = z
  .string()
  .min(1)
  .transform((value) =>
    value
      .split(",")
      .map((broker) => broker.trim())
      .filter(Boolean),
  );
const logLevel = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

/**
 * Partitions a consumer applies at once, and so the partitions a topic is created with: every batch
 * a fetch returns is applied at the same time, none waiting for another's transaction.
 */
export const PARTITIONS_CONSUMED_CONCURRENTLY = 3;

/** Settings each service reads under its own prefix: `ROOM_PORT`, `RESERVATION_DATABASE_URL`, … */
const PREFIXED = ["HOST", "PORT", "DATABASE_URL", "DB_POOL_SIZE", "CONSUMER_GROUP"] as const;
/** Settings read under the service's prefix when set there (two services sharing one environment), else bare. */
const PREFIX_FIRST = ["KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"] as const;

const serviceEnv = z
  .object({
    HOST: z.string().min(1).default("127.0.0.1"),
    PORT: port,
    DATABASE_URL: z.url(),
    DB_POOL_SIZE: count(1_000).default(10),
    CONSUMER_GROUP: z.string().min(1),
    SHUTDOWN_TIMEOUT_MS: millis.default(15_000),
    LOG_LEVEL: logLevel.default("info"),
    SAGA_DEADLINE_MS: millis.default(30_000),
    KAFKA_BROKERS: brokerList.default(["127.0.0.1:9092"]),
    KAFKA_TOPIC_PREFIX: z.string().default(""),
    KAFKA_PARTITIONS: count(10_000).default(PARTITIONS_CONSUMED_CONCURRENTLY),
    KAFKA_REPLICATION_FACTOR: count(100).default(1),
    KAFKA_CONNECT_TIMEOUT_MS: millis.default(3_000),
    KAFKA_RETENTION_MS: longMillis.default(7 * 86_400_000),
    ...kafkaSecurityFields,
    KAFKA_CONSUMER_LINGER_MS: millisOrZero.default(3),
    KAFKA_CONSUMER_ATTEMPTS: count(100).default(3),
    KAFKA_CONSUMER_RESTARTS: count(1_000).default(5),
    DEAD_LETTER_MAX_VALUE_BYTES: count(500_000).default(100_000),
    OUTBOX_POLL_MS: millis.default(250),
    OUTBOX_BATCH_SIZE: count(10_000).default(500),
    OUTBOX_LINGER_MS: millisOrZero.default(3),
    OUTBOX_SESSION_TIMEOUT_MS: millis.default(10_000),
    OUTBOX_RETRY_MAX_MS: millis.default(5_000),
    RETENTION_HORIZON_MS: longMillis.default(8 * 86_400_000),
    RETENTION_SWEEP_MS: millis.default(60_000),
    RETENTION_BATCH_SIZE: count(100_000).default(1_000),
    ...authFields,
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: count(1_000_000).default(60),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
    OTEL_SDK_DISABLED: z.enum(["true", "false"]).default("false"),
  })
  .superRefine((e, ctx) => {
    authChecks(e, ctx);
    kafkaSecurityChecks(e, ctx);
    // The inbox must remember a message for as long as Kafka can deliver it again (its retention),
    // and a late reserve can come up to a saga deadline after its cancel.
    if (e.RETENTION_HORIZON_MS <= e.KAFKA_RETENTION_MS + e.SAGA_DEADLINE_MS) {
      ctx.addIssue({
        code: "custom",
        path: ["RETENTION_HORIZON_MS"],
        message: "must be longer than KAFKA_RETENTION_MS plus SAGA_DEADLINE_MS",
      });
    }
    // A relay that polls is never idle that long; only one whose connection went silent is.
    if (e.OUTBOX_SESSION_TIMEOUT_MS < 4 * e.OUTBOX_POLL_MS) {
      ctx.addIssue({
        code: "custom",
        path: ["OUTBOX_SESSION_TIMEOUT_MS"],
        message: "must be at least 4 × OUTBOX_POLL_MS",
      });
    }
  });

export interface ServiceDefaults {
  /** Its name in `FLOWS`: `room` reads `ROOM_PORT`, `ROOM_DATABASE_URL`, …, and is `room-service` to Kafka. */
  name: ServiceName;
  port: number;
  databaseUrl: string;
}

/**
 * A service's defaults, the same for the service, the tools and the tests: its port in `FLOWS`, and
 * its own database `hotel_<name>` on the local server, as its own role `hotel_<name>_app`.
 */
const defaultsOf = (name: ServiceName): ServiceDefaults => ({
  name,
  port: FLOWS[name].port,
  databaseUrl: `postgresql://hotel_${name}_app@127.0.0.1:5432/hotel_${name}`,
});

/** The prefix of a service's own settings: `ROOM_PORT`, `ROOM_DATABASE_URL`, … */
export const envPrefix = (service: ServiceName) => service.toUpperCase();

function serviceConfig(e: z.output<typeof serviceEnv>, service: ServiceName) {
  return {
    service,
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    dbPoolSize: e.DB_POOL_SIZE,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    sagaDeadlineMs: e.SAGA_DEADLINE_MS,
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: clientIdOf(service),
      groupId: `${e.KAFKA_TOPIC_PREFIX}${e.CONSUMER_GROUP}`,
      topicPrefix: e.KAFKA_TOPIC_PREFIX,
      partitions: e.KAFKA_PARTITIONS,
      replicationFactor: e.KAFKA_REPLICATION_FACTOR,
      connectTimeoutMs: e.KAFKA_CONNECT_TIMEOUT_MS,
      /** How long the topics keep records: `retention.ms` of the topics provisioned for the service. */
      retentionMs: e.KAFKA_RETENTION_MS,
      ...kafkaSecurityConfig(e),
    },
    consumer: {
      /** How long a consumer waits after a small batch before fetching again (0: not at all). */
      lingerMs: e.KAFKA_CONSUMER_LINGER_MS,
      /** Attempts at a chunk failing with an error that may recur, before it is split to find the culprit. */
      attempts: e.KAFKA_CONSUMER_ATTEMPTS,
      /** Restarts of a consumer that crashed, without progress in between, before the service gives up. */
      restarts: e.KAFKA_CONSUMER_RESTARTS,
      deadLetterMaxValueBytes: e.DEAD_LETTER_MAX_VALUE_BYTES,
    },
    topics: topicNames(e.KAFKA_TOPIC_PREFIX),
    outbox: {
      pollMs: e.OUTBOX_POLL_MS,
      batchSize: e.OUTBOX_BATCH_SIZE,
      lingerMs: e.OUTBOX_LINGER_MS,
      sessionTimeoutMs: e.OUTBOX_SESSION_TIMEOUT_MS,
      retryMaxMs: e.OUTBOX_RETRY_MAX_MS,
    },
    retention: { horizonMs: e.RETENTION_HORIZON_MS, sweepMs: e.RETENTION_SWEEP_MS, batchSize: e.RETENTION_BATCH_SIZE },
    auth: {
      ...authConfig(e),
      /** Requests without a valid token, per client address and minute. */
      anonymousPerMinute: e.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
    },
    tracing: {
      /** Spans are made and exported over OTLP only when an endpoint is set: off, tracing costs nothing. */
      enabled:
        (e.OTEL_EXPORTER_OTLP_ENDPOINT ?? e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) !== undefined &&
        e.OTEL_SDK_DISABLED === "false",
    },
  };
}

export type ServiceConfig = ReturnType<typeof serviceConfig>;
export type KafkaConfig = ServiceConfig["kafka"];
export type RetentionConfig = ServiceConfig["retention"];
export type AuthConfig = ServiceConfig["auth"];

/** What a service is called to Kafka (its client id, default consumer group, and its dead letters' `service`). */
export const clientIdOf = (service: ServiceName) => `${service}-service`;

/** Only where a service's database is (for the migrate and Studio commands, which need nothing else). */
function loadDatabaseUrl(source: NodeJS.ProcessEnv, defaults: ServiceDefaults): string {
  const url = parseEnv(z.object({ DATABASE_URL: z.url() }), {
    DATABASE_URL: source[`${envPrefix(defaults.name)}_DATABASE_URL`] ?? defaults.databaseUrl,
  });
  return url.DATABASE_URL;
}

/** The one validated configuration object of a service, built from the environment at start-up. */
export function loadServiceConfig(source: NodeJS.ProcessEnv, defaults: ServiceDefaults): ServiceConfig {
  const prefix = envPrefix(defaults.name);
  const own: Record<(typeof PREFIXED)[number], string | undefined> = {
    HOST: source[`${prefix}_HOST`],
    PORT: source[`${prefix}_PORT`] ?? String(defaults.port),
    DATABASE_URL: source[`${prefix}_DATABASE_URL`] ?? defaults.databaseUrl,
    DB_POOL_SIZE: source[`${prefix}_DB_POOL_SIZE`],
    CONSUMER_GROUP: source[`${prefix}_CONSUMER_GROUP`] ?? clientIdOf(defaults.name),
  };
  const shared = Object.fromEntries(Object.keys(serviceEnv.shape).map((key) => [key, source[key]]));
  for (const key of PREFIX_FIRST) shared[key] = source[`${prefix}_${key}`] ?? source[key];
  const isPrefixed = (key: string): boolean => (PREFIXED as readonly string[]).includes(key);
  const env = parseEnv(serviceEnv, { ...shared, ...own }, (key) => (isPrefixed(key) ? `${prefix}_${key}` : key));
  return serviceConfig(env, defaults.name);
}

/**
 * What the platform and the tools know of a service: its defaults, its whole configuration, and
 * only where its database is. `loadConfig` may be the service's own, extending the base one.
 */
export function serviceSettings<C extends ServiceConfig = ServiceConfig>(
  name: ServiceName,
  extend: (base: ServiceConfig, source: NodeJS.ProcessEnv) => C = (base) => base as C,
) {
  const defaults = defaultsOf(name);
  return {
    defaults,
    loadConfig: (source: NodeJS.ProcessEnv = process.env): C => extend(loadServiceConfig(source, defaults), source),
    databaseUrl: (source: NodeJS.ProcessEnv = process.env) => loadDatabaseUrl(source, defaults),
  };
}

export type ServiceSettings = ReturnType<typeof serviceSettings<ServiceConfig>>;
