import { randomBytes } from "node:crypto";
import path from "node:path";
import { copyDatabase, dropDatabase, withDatabase } from "@saga/platform";
import { migrate } from "@saga/platform/migrate";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { provideInfrastructure, ROOT } from "./infrastructure.js";

export interface TestInfra {
  runId: string;
  /** The run's token signing secret: every service the tests start verifies with it. */
  authSecret: string;
  brokers: string[];
  /** Databases shared by tests that only read the schema or keep to their own rows. */
  reservationDatabaseUrl: string;
  roomDatabaseUrl: string;
  /** Migrated and never connected to: each system of services gets a copy (see databases.ts). */
  templates: { reservationDatabaseUrl: string; roomDatabaseUrl: string };
}

declare module "vitest" {
  export interface ProvidedContext {
    infra: TestInfra;
  }
}

/** Every database of the run (shared, templates, and the copies systems make) starts with this. */
const runDatabasePrefix = (runId: string) => `saga_test_${runId}_`;

async function dropRunDatabases(postgresUrl: string, runId: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(postgresUrl, "postgres") });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
      [runDatabasePrefix(runId)],
    );
    await Promise.allSettled(rows.map((r) => dropDatabase(withDatabase(postgresUrl, r.datname))));
  } finally {
    await client.end();
  }
}

/**
 * Hands every test file the run's broker, two migrated template databases (copied for each system
 * of services a test starts) and two shared migrated databases; removes all of them after.
 */
export default async function setup(project: TestProject) {
  const infra = await provideInfrastructure();
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  const prefix = runDatabasePrefix(runId);
  const urls = (kind: string) => ({
    reservationDatabaseUrl: withDatabase(infra.postgresUrl, `${prefix}${kind}reservation`),
    roomDatabaseUrl: withDatabase(infra.postgresUrl, `${prefix}${kind}room`),
  });
  const shared = urls("");
  const templates = urls("tpl_");
  try {
    await migrate(templates.reservationDatabaseUrl, path.join(ROOT, "prisma/reservation/migrations"));
    await migrate(templates.roomDatabaseUrl, path.join(ROOT, "prisma/room/migrations"));
    await copyDatabase(templates.reservationDatabaseUrl, shared.reservationDatabaseUrl);
    await copyDatabase(templates.roomDatabaseUrl, shared.roomDatabaseUrl);
  } catch (err) {
    await infra.stop();
    throw err;
  }
  const authSecret = randomBytes(32).toString("base64url");
  project.provide("infra", { runId, authSecret, brokers: infra.brokers, ...shared, templates });
  return async () => {
    await dropRunDatabases(infra.postgresUrl, runId).catch(() => {});
    await infra.stop();
  };
}
