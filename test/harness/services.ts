import { randomBytes } from "node:crypto";
import { type Topics, topicNames } from "@saga/contracts";
import { createFastify, type ServiceConfig } from "@saga/platform";
import reservationApp, { loadConfig as loadReservationConfig } from "@saga/reservation";
import roomApp, { loadConfig as loadRoomConfig } from "@saga/room";
import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import { inject } from "vitest";
import { provisionKafkaFor, serviceDatabaseUrl, serviceKafkaEnv } from "./access.js";
import { type Databases, freshDatabases } from "./databases.js";
import { waitFor } from "./wait.js";

/** A topic prefix of its own for each test, so no test sees another's messages or groups. */
export function uniquePrefix(label = "t"): string {
  return `${inject("infra").runId}-${label}-${randomBytes(4).toString("hex")}.`;
}

/**
 * The environment a service process or in-process app gets in the tests, on the given databases:
 * each service logs in to them and to the broker as its own role and principal.
 */
export function testEnv(prefix: string, databases: Databases, overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    KAFKA_BROKERS: inject("infra").brokers.join(","),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_PARTITIONS: "3",
    RESERVATION_DATABASE_URL: serviceDatabaseUrl(databases, "reservation"),
    ROOM_DATABASE_URL: serviceDatabaseUrl(databases, "room"),
    ...serviceKafkaEnv(),
    RESERVATION_PORT: "0",
    ROOM_PORT: "0",
    LOG_LEVEL: "error",
    AUTH_JWT_SECRET: inject("infra").authSecret,
    ...overrides,
  };
}

async function startApp<C extends ServiceConfig>(plugin: FastifyPluginAsync<{ config: C }>, config: C) {
  const app = createFastify({ logger: { level: config.logLevel } });
  await app.register(plugin, { config });
  await app.ready();
  return app;
}

const startReservation = (env: NodeJS.ProcessEnv) => startApp(reservationApp, loadReservationConfig(env));
const startRoom = (env: NodeJS.ProcessEnv) => startApp(roomApp, loadRoomConfig(env));

/** Provisions the topics and ACLs the services of `env` need (as the stack does), then starts one. */
export const startReservationService = async (env: NodeJS.ProcessEnv) => {
  await provisionKafkaFor(env);
  return startReservation(env);
};
export const startRoomService = async (env: NodeJS.ProcessEnv) => {
  await provisionKafkaFor(env);
  return startRoom(env);
};

export async function waitUntilReady(app: FastifyInstance): Promise<void> {
  await waitFor(
    () => app.inject({ method: "GET", url: "/health/ready" }),
    (res) => res.statusCode === 200,
    { what: "readiness", timeoutMs: 60_000 },
  );
}

export interface System {
  prefix: string;
  /** This system's own databases, dropped by `close`. */
  databases: Databases;
  env: NodeJS.ProcessEnv;
  topics: Topics;
  /** The first instance of each service. */
  reservation: FastifyInstance;
  room: FastifyInstance;
  /** Every instance, all in one consumer group per service. */
  reservations: FastifyInstance[];
  rooms: FastifyInstance[];
  close(): Promise<void>;
}

/** Both services, in this process, on the run's broker, with databases and topics of their own. */
export async function startSystem(overrides: NodeJS.ProcessEnv = {}, instances = 1): Promise<System> {
  const prefix = uniquePrefix();
  const databases = await freshDatabases();
  const env = testEnv(prefix, databases, overrides);
  const rooms: FastifyInstance[] = [];
  const reservations: FastifyInstance[] = [];
  const all: FastifyInstance[] = [];
  const close = async () => {
    await Promise.all(all.map((app) => app.close()));
    await databases.drop();
  };
  try {
    // Once for the system: every instance of both services uses the same topics and groups.
    await provisionKafkaFor(env);
    for (let i = 0; i < instances; i++) {
      rooms.push(await startRoom(env));
      all.push(rooms.at(-1) as FastifyInstance);
      reservations.push(await startReservation(env));
      all.push(reservations.at(-1) as FastifyInstance);
    }
    await Promise.all(all.map(waitUntilReady));
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  return {
    prefix,
    databases,
    env,
    topics: topicNames(prefix),
    room: rooms[0] as FastifyInstance,
    reservation: reservations[0] as FastifyInstance,
    rooms,
    reservations,
    close,
  };
}
