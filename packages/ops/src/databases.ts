import path from "node:path";
import type { ServiceName } from "@saga/contracts";
import { envPrefix } from "@saga/platform/config";
import { databaseUnavailable, isConnectionError } from "@saga/platform/sql";
import { databaseName } from "./database-admin.js";
import { asRole, provisionDatabase } from "./database-roles.js";
import { databaseRoles, stackConfig } from "./local.js";
import { migrate } from "./migrate.js";
import { ROOT } from "./root.js";
import { SERVICES, settingsOf } from "./services.js";

/** A service's migrations: prisma/<service>/migrations, written by `prisma migrate dev`-compatible tooling. */
export const migrationsOf = (service: ServiceName) => path.join(ROOT, "prisma", service, "migrations");

/**
 * Each service owns one database (schema and migrations in prisma/<service>/), where the database
 * the service is configured with (`RESERVATION_DATABASE_URL`, …) says; the stack logs in to it as
 * the database's roles: the owner to migrate, the service's role to run, the operators' to look.
 */
export function serviceDatabases(env: NodeJS.ProcessEnv = process.env) {
  const { postgresAdmin } = stackConfig(env);
  return SERVICES.map((service) => {
    const url = settingsOf(service).databaseUrl(env);
    const roles = databaseRoles(databaseName(url));
    return {
      service,
      envVar: `${envPrefix(service)}_DATABASE_URL`,
      url,
      roles,
      migrations: migrationsOf(service),
      adminUrl: asRole(url, postgresAdmin),
      ownerUrl: asRole(url, roles.owner),
      appUrl: asRole(url, roles.app),
      operatorUrl: asRole(url, roles.operator),
    };
  });
}

export type ServiceDatabase = ReturnType<typeof serviceDatabases>[number];

/** Creates the database and its roles when missing (as the superuser), then migrates it as its owner. */
export async function prepareDatabase(db: ServiceDatabase) {
  try {
    await provisionDatabase(db.adminUrl, db.url, db.roles);
    return await migrate(db.ownerUrl, db.migrations);
  } catch (err) {
    throw isConnectionError(err) ? databaseUnavailable(db.url, db.envVar, err) : err;
  }
}

export { copyDatabase, databaseName, dropDatabase, ensureDatabase, withDatabase } from "./database-admin.js";
export { asRole, type DatabaseRoles, grantDatabase, provisionDatabase, type Role } from "./database-roles.js";
export { migrate } from "./migrate.js";
