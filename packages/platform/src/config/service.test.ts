import { describe, expect, it } from "vitest";
import { loadServiceConfig } from "./service.js";

const defaults = { name: "room", port: 3001, databaseUrl: "postgresql://postgres@127.0.0.1/x" } as const;
const load = (env: NodeJS.ProcessEnv) => () => loadServiceConfig(env, defaults);

describe("the service configuration", () => {
  it("when nothing is set, then the defaults load, and they keep the inbox longer than Kafka keeps records", () => {
    const config = loadServiceConfig({ AUTH_JWT_SECRET: "a local secret of at least 32 bytes" }, defaults);

    expect(config.retention.horizonMs).toBeGreaterThan(config.kafka.retentionMs + config.sagaDeadlineMs);
    expect(config.outbox.sessionTimeoutMs).toBeGreaterThanOrEqual(4 * config.outbox.pollMs);
  });

  it.each([
    ["SAGA_DEADLINE_MS", "2147483648"],
    ["SHUTDOWN_TIMEOUT_MS", "9007199254740993"],
    ["OUTBOX_POLL_MS", "1e12"],
    ["KAFKA_CONSUMER_LINGER_MS", "-1"],
    ["KAFKA_PARTITIONS", "100000"],
    ["ROOM_DB_POOL_SIZE", "5000"],
    ["OUTBOX_BATCH_SIZE", "0"],
    ["RETENTION_HORIZON_MS", String(11 * 366 * 86_400_000)],
  ])("when %s is %s, beyond what a timer or the SQL holds, then loading fails naming it", (name, value) => {
    expect(load({ [name]: value })).toThrow(new RegExp(`^invalid configuration: ${name}: `));
  });

  it.each([
    [{ KAFKA_SASL_MECHANISM: "scram-sha-512" }, /KAFKA_SASL_USERNAME: is required.*KAFKA_SASL_PASSWORD: is required/],
    [{ KAFKA_SASL_MECHANISM: "gssapi" }, /KAFKA_SASL_MECHANISM: /],
    [{ KAFKA_SSL_CA_FILE: "/etc/ssl/ca.pem" }, /KAFKA_SSL_CA_FILE: is used only with KAFKA_SSL=true/],
    [{ KAFKA_SSL: "maybe" }, /KAFKA_SSL: /],
  ])("when the Kafka login is incomplete (%o), then loading fails naming what is missing", (env, message) => {
    expect(load({ AUTH_JWT_SECRET: "a local secret of at least 32 bytes", ...env })).toThrow(message);
  });

  it("when two services share one environment, then each takes its own prefixed Kafka login over the bare one", () => {
    const config = loadServiceConfig(
      {
        AUTH_JWT_SECRET: "a local secret of at least 32 bytes",
        KAFKA_SASL_MECHANISM: "scram-sha-512",
        KAFKA_SASL_USERNAME: "shared",
        KAFKA_SASL_PASSWORD: "shared-password",
        ROOM_KAFKA_SASL_USERNAME: "room",
        KAFKA_SSL: "true",
      },
      defaults,
    );

    expect(config.kafka.sasl).toEqual({ mechanism: "scram-sha-512", username: "room", password: "shared-password" });
    expect(config.kafka.ssl).toBe(true);
    expect(config.kafka.principal).toBe("scram-sha-512 user 'room'");
  });

  it("when the retention horizon is not longer than Kafka's retention and a saga deadline, then loading fails naming it", () => {
    expect(
      load({ KAFKA_RETENTION_MS: "86400000", SAGA_DEADLINE_MS: "30000", RETENTION_HORIZON_MS: "86430000" }),
    ).toThrow(/RETENTION_HORIZON_MS: must be longer than KAFKA_RETENTION_MS plus SAGA_DEADLINE_MS/);
  });

  it.each([
    [{}, /AUTH_JWT_SECRET: is required with HS256/],
    [{ AUTH_JWT_SECRET: "too short" }, /AUTH_JWT_SECRET: must be at least 32 bytes/],
    [{ AUTH_JWT_ALGORITHM: "none" }, /AUTH_JWT_ALGORITHM: /],
    [
      { AUTH_JWT_ALGORITHM: "RS256", AUTH_JWT_SECRET: "x".repeat(32) },
      /AUTH_JWT_SECRET: RS256 verifies with a public key/,
    ],
    [{ AUTH_JWT_ALGORITHM: "ES256" }, /AUTH_JWT_PUBLIC_KEY: ES256 takes AUTH_JWT_PUBLIC_KEY or AUTH_JWT_JWKS_URL/],
  ])("when the token settings are %o, then loading fails naming what is wrong", (env, problem) => {
    expect(load(env as NodeJS.ProcessEnv)).toThrow(problem);
  });

  it("when the relay's session timeout is under four polls, then loading fails naming it", () => {
    expect(load({ OUTBOX_POLL_MS: "1000", OUTBOX_SESSION_TIMEOUT_MS: "3000" })).toThrow(/OUTBOX_SESSION_TIMEOUT_MS: /);
  });
});
