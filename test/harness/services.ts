import { randomBytes } from "node:crypto";
import { type Topics, topicNames } from "@saga/contracts";
import { createFastify, type ServiceConfig } from "@saga/platform";
import reservationApp, { loadConfig as loadReservationConfig } from "@saga/reservation";
import roomApp, { loadConfig as loadRoomConfig } from "@saga/room";
import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import { inject } from "vitest";
import { waitFor } from "./wait.js";

/** A topic prefix of its own for each test, so no test sees another's messages or groups. */
export function uniquePrefix(label = "t"): string {
  return `${inject("infra").runId}-${label}-${randomBytes(4).toString("hex")}.`;
}

/** The environment a service process or in-process app gets in the tests. */
export function testEnv(prefix: string, overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const infra = inject("infra");
  return {
    KAFKA_BROKERS: infra.brokers.join(","),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_PARTITIONS: "3",
    RESERVATION_DATABASE_URL: infra.reservationDatabaseUrl,
    ROOM_DATABASE_URL: infra.roomDatabaseUrl,
    RESERVATION_PORT: "0",
    ROOM_PORT: "0",
    LOG_LEVEL: "error",
    // All test files share the run's databases: a service's deadline sweep would fail (and cancel
    // on its own topics) bookings another test left PENDING. Tests about the deadline set their own.
    SAGA_DEADLINE_MS: "600000",
    ...overrides,
  };
}

async function startApp<C extends ServiceConfig>(plugin: FastifyPluginAsync<{ config: C }>, config: C) {
  const app = createFastify({ logger: { level: config.logLevel } });
  await app.register(plugin, { config });
  await app.ready();
  return app;
}

export const startReservationService = (env: NodeJS.ProcessEnv) => startApp(reservationApp, loadReservationConfig(env));
export const startRoomService = (env: NodeJS.ProcessEnv) => startApp(roomApp, loadRoomConfig(env));

export async function waitUntilReady(app: FastifyInstance): Promise<void> {
  await waitFor(
    () => app.inject({ method: "GET", url: "/health/ready" }),
    (res) => res.statusCode === 200,
    { what: "readiness", timeoutMs: 60_000 },
  );
}

export interface System {
  prefix: string;
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

/** Both services, in this process, on the run's broker and databases, with topics of their own. */
export async function startSystem(overrides: NodeJS.ProcessEnv = {}, instances = 1): Promise<System> {
  const prefix = uniquePrefix();
  const env = testEnv(prefix, overrides);
  const rooms: FastifyInstance[] = [];
  const reservations: FastifyInstance[] = [];
  for (let i = 0; i < instances; i++) {
    rooms.push(await startRoomService(env));
    reservations.push(await startReservationService(env));
  }
  const all = [...rooms, ...reservations];
  await Promise.all(all.map(waitUntilReady));
  return {
    prefix,
    env,
    topics: topicNames(prefix),
    room: rooms[0] as FastifyInstance,
    reservation: reservations[0] as FastifyInstance,
    rooms,
    reservations,
    close: async () => {
      await Promise.all(all.map((app) => app.close()));
    },
  };
}
