import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ROOT } from "@saga/ops/local";
import { freePortPair } from "@saga/ops/ports";
import { describe, expect, inject, it } from "vitest";
import { testEnv, uniquePrefix } from "../harness/index.js";

const run = promisify(execFile);

/** Starts a service process the way an operator would and returns how it ended. */
async function startService(entry: string, env: NodeJS.ProcessEnv) {
  try {
    await run(process.execPath, ["--import", "tsx", entry], {
      cwd: ROOT,
      env: { ...process.env, ...env, LOG_LEVEL: "fatal" },
      timeout: 60_000,
    });
    return { code: 0, stderr: "" };
  } catch (err) {
    const { code, stderr } = err as { code: number; stderr: string };
    return { code, stderr };
  }
}

describe("a service that cannot reach what it needs at start-up", () => {
  it("when no broker listens, then it exits 1 with one line naming Kafka, its address and how to provide it", async () => {
    const closed = await freePortPair();
    const env = testEnv("startup-", inject("infra").databases, {
      KAFKA_BROKERS: `127.0.0.1:${closed}`,
      KAFKA_CONNECT_TIMEOUT_MS: "500",
    });

    const { code, stderr } = await startService("services/room/src/server.ts", env);

    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        new RegExp(
          `^room-service: cannot start: Kafka is not reachable at 127\\.0\\.0\\.1:${closed} .*pnpm kafka:up.*KAFKA_BROKERS`,
        ),
      ),
    ]);
  });

  it("when the database cannot be reached, then it exits 1 with one line naming PostgreSQL and the variable to set", async () => {
    const closed = await freePortPair();
    const env = testEnv("startup-", inject("infra").databases, {
      RESERVATION_DATABASE_URL: `postgresql://postgres@127.0.0.1:${closed}/hotel_reservation`,
    });

    const { code, stderr } = await startService("services/reservation/src/server.ts", env);

    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        new RegExp(
          `^reservation-service: cannot start: PostgreSQL is not reachable at 127\\.0\\.0\\.1:${closed}/hotel_reservation .*RESERVATION_DATABASE_URL`,
        ),
      ),
    ]);
  });

  it("when the broker refuses the service's password, then it exits 1 with one line naming the user and the variables", async () => {
    const env = testEnv("startup-", inject("infra").databases, { ROOM_KAFKA_SASL_PASSWORD: "not-the-password" });

    const { code, stderr } = await startService("services/room/src/server.ts", env);

    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^room-service: cannot start: Kafka at \S+ refused the credentials of scram-sha-512 user 'room' .*KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD$/,
      ),
    ]);
  });

  it("when the service logs in to no broker that requires it, then it exits 1 with one line saying to set KAFKA_SASL_MECHANISM", async () => {
    const env = testEnv("startup-", inject("infra").databases, {
      KAFKA_SASL_MECHANISM: "none",
      KAFKA_CONNECT_TIMEOUT_MS: "1000",
    });

    const { code, stderr } = await startService("services/room/src/server.ts", env);

    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^room-service: cannot start: Kafka is not reachable .*set KAFKA_SASL_MECHANISM/),
    ]);
  });

  it("when its topics were never provisioned, then it exits 1 with one line naming them and who provisions them", async () => {
    const env = testEnv(uniquePrefix("unprovisioned"), inject("infra").databases);

    const { code, stderr } = await startService("services/room/src/server.ts", env);

    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^room-service: cannot start: topics missing, or not visible to scram-sha-512 user 'room': (?=.*\S+\.room-reserve\b)(?=.*\S+\.room-cancel\b).*pnpm stack:up/,
      ),
    ]);
  });

  it("when a setting is invalid, then it exits 1 with one line naming the variable", async () => {
    const { code, stderr } = await startService("services/room/src/server.ts", {
      ROOM_PORT: "not-a-port",
      KAFKA_PARTITIONS: "0",
    });

    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(
      /^room-service: cannot start: invalid configuration: ROOM_PORT: .*; KAFKA_PARTITIONS: /,
    );
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });

  it("when the migrate command cannot reach the database, then it exits 1 with one line saying so", async () => {
    const closed = await freePortPair();
    const env = { ...process.env, ROOM_DATABASE_URL: `postgresql://postgres@127.0.0.1:${closed}/hotel_room` };

    const result = await run(process.execPath, ["--import", "tsx", "scripts/image/migrate.ts", "room"], {
      cwd: ROOT,
      env,
    }).catch((err: { code: number; stderr: string }) => err);

    expect(result).toMatchObject({ code: 1 });
    expect((result as { stderr: string }).stderr.trim()).toMatch(
      new RegExp(
        `^room: migration failed: PostgreSQL is not reachable at 127\\.0\\.0\\.1:${closed}/hotel_room .*ROOM_DATABASE_URL`,
      ),
    );
  });
});
