import path from "node:path";
import { asRole, databaseName, databaseUnavailable, isConnectionError, provisionDatabase } from "@saga/platform";
import { migrate } from "@saga/platform/migrate";
import { databaseUrl as reservationDatabaseUrl } from "@saga/reservation";
import { databaseUrl as roomDatabaseUrl } from "@saga/room";
import { databaseRoles } from "./local-access.js";
import { ROOT } from "./root.js";
import { stackConfig } from "./stack-config.js";

export { ROOT };

/**
 * Each service owns one database (schema and migrations in prisma/<service>/), where the database
 * the service is configured with (`RESERVATION_DATABASE_URL`, …) says; the stack logs in to it as
 * the database's roles: the owner to migrate, the service's role to run, the operators' to look.
 */
export function serviceDatabases(env: NodeJS.ProcessEnv = process.env) {
  const { postgresAdmin } = stackConfig(env);
  return [
    { service: "reservation", envVar: "RESERVATION_DATABASE_URL", url: reservationDatabaseUrl(env) },
    { service: "room", envVar: "ROOM_DATABASE_URL", url: roomDatabaseUrl(env) },
  ].map((db) => {
    const roles = databaseRoles(databaseName(db.url));
    return {
      ...db,
      roles,
      migrations: path.join(ROOT, "prisma", db.service, "migrations"),
      adminUrl: asRole(db.url, postgresAdmin),
      ownerUrl: asRole(db.url, roles.owner),
      appUrl: asRole(db.url, roles.app),
      operatorUrl: asRole(db.url, roles.operator),
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
