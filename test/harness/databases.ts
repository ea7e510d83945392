import { randomBytes } from "node:crypto";
import { copyDatabase, dropDatabase, grantDatabase } from "@saga/platform";
import { inject } from "vitest";

/** The two databases one system of services runs on. */
export interface Databases {
  reservationDatabaseUrl: string;
  roomDatabaseUrl: string;
}

export interface OwnDatabases extends Databases {
  drop(): Promise<void>;
}

/**
 * A fresh pair of migrated databases for one system, copied from the run's template databases
 * (a file copy in PostgreSQL: a fraction of a second). Systems never share an outbox, an inbox
 * or a deadline sweep, so one test's leftovers (a message owed to a broker another test has
 * stopped, a booking left PENDING on purpose) cannot reach another test.
 */
export async function freshDatabases(): Promise<OwnDatabases> {
  const { templates, postgresUrl, databaseRoles } = inject("infra");
  const copy = (templateUrl: string) => {
    const url = new URL(templateUrl);
    url.pathname += `_${randomBytes(4).toString("hex")}`;
    return url.toString();
  };
  const urls = {
    reservationDatabaseUrl: copy(templates.reservationDatabaseUrl),
    roomDatabaseUrl: copy(templates.roomDatabaseUrl),
  };
  await copyDatabase(templates.reservationDatabaseUrl, urls.reservationDatabaseUrl);
  await copyDatabase(templates.roomDatabaseUrl, urls.roomDatabaseUrl);
  // The rows' rights come with the copy; who may connect is the database's own.
  await grantDatabase(postgresUrl, urls.reservationDatabaseUrl, databaseRoles.reservation);
  await grantDatabase(postgresUrl, urls.roomDatabaseUrl, databaseRoles.room);
  return {
    ...urls,
    drop: async () => {
      await Promise.all([dropDatabase(urls.reservationDatabaseUrl), dropDatabase(urls.roomDatabaseUrl)]);
    },
  };
}
