import { randomBytes } from "node:crypto";
import path from "node:path";
import { dropDatabase } from "@saga/platform";
import { migrate } from "@saga/platform/migrate";
import type { TestProject } from "vitest/node";
import { provideInfrastructure, ROOT } from "./infrastructure.js";

export interface TestInfra {
  runId: string;
  brokers: string[];
  reservationDatabaseUrl: string;
  roomDatabaseUrl: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    infra: TestInfra;
  }
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Hands every test file the run's broker and two fresh, migrated databases; removes them after. */
export default async function setup(project: TestProject) {
  const infra = await provideInfrastructure();
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  const databases = {
    reservationDatabaseUrl: databaseUrl(infra.postgresUrl, `saga_test_${runId}_reservation`),
    roomDatabaseUrl: databaseUrl(infra.postgresUrl, `saga_test_${runId}_room`),
  };
  try {
    await migrate(databases.reservationDatabaseUrl, path.join(ROOT, "prisma/reservation/migrations"));
    await migrate(databases.roomDatabaseUrl, path.join(ROOT, "prisma/room/migrations"));
  } catch (err) {
    await infra.stop();
    throw err;
  }
  project.provide("infra", { runId, brokers: infra.brokers, ...databases });
  return async () => {
    await Promise.allSettled(Object.values(databases).map(dropDatabase));
    await infra.stop();
  };
}
