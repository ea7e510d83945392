import { randomBytes } from "node:crypto";
import path from "node:path";
import type { ServiceName } from "@saga/contracts";
import {
  asRole,
  copyDatabase,
  type DatabaseRoles,
  dropDatabase,
  grantDatabase,
  provisionDatabase,
  readCredentials,
  withDatabase,
} from "@saga/platform";
import { migrate } from "@saga/platform/migrate";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { provideInfrastructure, ROOT } from "./infrastructure.js";

export interface TestInfra {
  runId: string;
  /** The run's token signing secret: every service the tests start verifies with it. */
  authSecret: string;
  brokers: string[];
  /** The principals' passwords on the run's brokers (none when they take no logins). */
  kafkaCredentials?: Record<string, string>;
  kafkaCredentialsDir?: string;
  /** A superuser's URL on the server: it makes each system's databases and grants their rights. */
  postgresUrl: string;
  /** The run's roles for each service's databases: the services log in as `app`, migrations as `owner`. */
  databaseRoles: Record<ServiceName, DatabaseRoles>;
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

/** Every database (shared, templates, and the copies systems make) and role of the run starts with this. */
const runPrefix = (runId: string) => `saga_test_${runId}_`;

function runRoles(runId: string): Record<ServiceName, DatabaseRoles> {
  const role = (name: string) => ({
    name: `${runPrefix(runId)}${name}`,
    password: randomBytes(18).toString("base64url"),
  });
  const operator = role("operator");
  return {
    reservation: { owner: role("reservation_owner"), app: role("reservation"), operator },
    room: { owner: role("room_owner"), app: role("room"), operator },
  };
}

async function dropRunDatabasesAndRoles(postgresUrl: string, runId: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(postgresUrl, "postgres") });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
      [runPrefix(runId)],
    );
    await Promise.allSettled(rows.map((r) => dropDatabase(withDatabase(postgresUrl, r.datname))));
    const roles = await client.query<{ rolname: string }>(
      "SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)",
      [runPrefix(runId)],
    );
    for (const { rolname } of roles.rows) await client.query(`DROP ROLE IF EXISTS "${rolname}"`).catch(() => {});
  } finally {
    await client.end();
  }
}

/**
 * Hands every test file the run's broker (with its principals' passwords), two migrated template
 * databases (copied for each system of services a test starts), two shared migrated databases and
 * the roles of both services; removes all of them after.
 */
export default async function setup(project: TestProject) {
  const infra = await provideInfrastructure();
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  const prefix = runPrefix(runId);
  const urls = (kind: string) => ({
    reservationDatabaseUrl: withDatabase(infra.postgresUrl, `${prefix}${kind}reservation`),
    roomDatabaseUrl: withDatabase(infra.postgresUrl, `${prefix}${kind}room`),
  });
  const shared = urls("");
  const templates = urls("tpl_");
  const databaseRoles = runRoles(runId);
  try {
    for (const service of ["reservation", "room"] as const) {
      const template = service === "reservation" ? templates.reservationDatabaseUrl : templates.roomDatabaseUrl;
      const copy = service === "reservation" ? shared.reservationDatabaseUrl : shared.roomDatabaseUrl;
      const roles = databaseRoles[service];
      await provisionDatabase(infra.postgresUrl, template, roles);
      await migrate(asRole(template, roles.owner), path.join(ROOT, "prisma", service, "migrations"));
      await copyDatabase(template, copy);
      await grantDatabase(infra.postgresUrl, copy, roles);
    }
  } catch (err) {
    await dropRunDatabasesAndRoles(infra.postgresUrl, runId).catch(() => {});
    await infra.stop();
    throw err;
  }
  const authSecret = randomBytes(32).toString("base64url");
  const kafkaCredentials = infra.kafkaCredentialsDir
    ? readCredentials(path.join(infra.kafkaCredentialsDir, "credentials"))
    : undefined;
  project.provide("infra", {
    runId,
    authSecret,
    brokers: infra.brokers,
    kafkaCredentials,
    kafkaCredentialsDir: infra.kafkaCredentialsDir,
    postgresUrl: infra.postgresUrl,
    databaseRoles,
    ...shared,
    templates,
  });
  return async () => {
    await dropRunDatabasesAndRoles(infra.postgresUrl, runId).catch(() => {});
    await infra.stop();
  };
}
