import { randomBytes } from "node:crypto";
import path from "node:path";
import type { ServiceName } from "@saga/contracts";
import {
  asRole,
  copyDatabase,
  type DatabaseRoles,
  dropDatabase,
  grantDatabase,
  migrate,
  migrationsOf,
  provisionDatabase,
  withDatabase,
} from "@saga/ops/databases";
import { readCredentials } from "@saga/ops/local";
import { SERVICES } from "@saga/ops/services";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { provideInfrastructure } from "./infrastructure.js";

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
  /** Databases shared by tests that only read the schema or keep to their own rows, one per service. */
  databases: Record<ServiceName, string>;
  /** Migrated and never connected to: each system of services gets a copy (see databases.ts). */
  templates: Record<ServiceName, string>;
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
  return Object.fromEntries(
    SERVICES.map((service) => [service, { owner: role(`${service}_owner`), app: role(service), operator }]),
  ) as Record<ServiceName, DatabaseRoles>;
}

/**
 * Drops what the run made on the server. Each database and role is tried on its own: one that
 * cannot go now (a connection left open) is named in the warning, not a reason to keep the rest.
 */
async function dropRunDatabasesAndRoles(postgresUrl: string, runId: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(postgresUrl, "postgres") });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
      [runPrefix(runId)],
    );
    const dropped = await Promise.allSettled(rows.map((r) => dropDatabase(withDatabase(postgresUrl, r.datname))));
    const roles = await client.query<{ rolname: string }>(
      "SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)",
      [runPrefix(runId)],
    );
    const left: string[] = dropped.flatMap((r, i) => (r.status === "rejected" ? [rows[i]?.datname ?? ""] : []));
    for (const { rolname } of roles.rows) {
      await client.query(`DROP ROLE IF EXISTS "${rolname}"`).catch(() => left.push(rolname));
    }
    if (left.length > 0) console.warn(`global-setup: left on the server (drop them by hand): ${left.join(", ")}`);
  } finally {
    await client.end();
  }
}

/**
 * Hands every test file the run's broker (with its principals' passwords), a migrated template
 * database for each service (copied for each system of services a test starts), a shared migrated
 * database for each, and the roles of every service; removes all of them after.
 */
export default async function setup(project: TestProject) {
  const infra = await provideInfrastructure();
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  const prefix = runPrefix(runId);
  const urls = (kind: string) =>
    Object.fromEntries(
      SERVICES.map((service) => [service, withDatabase(infra.postgresUrl, `${prefix}${kind}${service}`)]),
    ) as Record<ServiceName, string>;
  const databases = urls("");
  const templates = urls("tpl_");
  const databaseRoles = runRoles(runId);
  const cleanUp = async () => {
    await dropRunDatabasesAndRoles(infra.postgresUrl, runId).catch((err: Error) =>
      console.warn(`global-setup: the run's databases and roles were not dropped: ${err.message}`),
    );
    await infra.stop();
  };
  try {
    for (const service of SERVICES) {
      const roles = databaseRoles[service];
      await provisionDatabase(infra.postgresUrl, templates[service], roles);
      await migrate(asRole(templates[service], roles.owner), migrationsOf(service));
      await copyDatabase(templates[service], databases[service]);
      await grantDatabase(infra.postgresUrl, databases[service], roles);
    }
  } catch (err) {
    await cleanUp();
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
    databases,
    templates,
  });
  return cleanUp;
}
