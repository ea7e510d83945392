import { randomBytes } from "node:crypto";
import { dropDatabase } from "@saga/platform";
import pg from "pg";
import { inject } from "vitest";

/** The two databases one system of services runs on. */
export interface Databases {
  reservationDatabaseUrl: string;
  roomDatabaseUrl: string;
}

export interface OwnDatabases extends Databases {
  drop(): Promise<void>;
}

function renamed(url: string, name: string): string {
  const next = new URL(url);
  next.pathname = `/${name}`;
  return next.toString();
}

const nameOf = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));

/**
 * A fresh pair of migrated databases for one system, copied from the run's template databases
 * (a file copy in PostgreSQL: a fraction of a second). Systems never share an outbox, an inbox
 * or a deadline sweep, so one test's leftovers (a message owed to a broker another test has
 * stopped, a booking left PENDING on purpose) cannot reach another test.
 */
export async function freshDatabases(): Promise<OwnDatabases> {
  const { templates } = inject("infra");
  const suffix = randomBytes(4).toString("hex");
  const urls = {
    reservationDatabaseUrl: renamed(
      templates.reservationDatabaseUrl,
      `${nameOf(templates.reservationDatabaseUrl)}_${suffix}`,
    ),
    roomDatabaseUrl: renamed(templates.roomDatabaseUrl, `${nameOf(templates.roomDatabaseUrl)}_${suffix}`),
  };
  const admin = new pg.Client({ connectionString: renamed(templates.roomDatabaseUrl, "postgres") });
  await admin.connect();
  try {
    await admin.query(
      `CREATE DATABASE "${nameOf(urls.reservationDatabaseUrl)}" TEMPLATE "${nameOf(templates.reservationDatabaseUrl)}"`,
    );
    await admin.query(
      `CREATE DATABASE "${nameOf(urls.roomDatabaseUrl)}" TEMPLATE "${nameOf(templates.roomDatabaseUrl)}"`,
    );
  } finally {
    await admin.end();
  }
  return {
    ...urls,
    drop: async () => {
      await Promise.all([dropDatabase(urls.reservationDatabaseUrl), dropDatabase(urls.roomDatabaseUrl)]);
    },
  };
}
