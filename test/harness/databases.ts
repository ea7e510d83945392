import { randomBytes } from "node:crypto";
import type { ServiceName } from "@saga/contracts";
import { copyDatabase, dropDatabase, grantDatabase } from "@saga/ops/databases";
import { SERVICES } from "@saga/ops/services";
import { inject } from "vitest";

/** The databases one system of services runs on: each service's URL, as a superuser of the run. */
export type Databases = Record<ServiceName, string>;

export interface OwnDatabases {
  urls: Databases;
  drop(): Promise<void>;
}

/**
 * A fresh set of migrated databases for one system, copied from the run's template databases
 * (a file copy in PostgreSQL: a fraction of a second). Systems never share an outbox, an inbox
 * or a deadline sweep, so one test's leftovers (a message owed to a broker another test has
 * stopped, a booking left PENDING on purpose) cannot reach another test.
 */
export async function freshDatabases(): Promise<OwnDatabases> {
  const { templates, postgresUrl, databaseRoles } = inject("infra");
  const suffix = randomBytes(4).toString("hex");
  const urls = Object.fromEntries(
    SERVICES.map((service) => {
      const url = new URL(templates[service]);
      url.pathname += `_${suffix}`;
      return [service, url.toString()];
    }),
  ) as Databases;
  for (const service of SERVICES) {
    await copyDatabase(templates[service], urls[service]);
    // The rows' rights come with the copy; who may connect is the database's own.
    await grantDatabase(postgresUrl, urls[service], databaseRoles[service]);
  }
  return { urls, drop: () => Promise.all(SERVICES.map((s) => dropDatabase(urls[s]))).then(() => {}) };
}
