import type { ServiceName } from "@saga/contracts";
import type { Delivered } from "@saga/platform/messaging";
import { openPool, type Sql, sqlOn } from "@saga/platform/sql";
import Fastify from "fastify";
import pg from "pg";
import { freshDatabases } from "./databases.js";

export interface DomainDatabase {
  url: string;
  /** Statements and transactions as a consumer runs them, for the domain function under test. */
  sql: Sql;
  /** A plain connection, to set rows up and to look at what the domain function did. */
  db: pg.Client;
  close(): Promise<void>;
}

/** One service's database, freshly migrated, for testing its domain functions without Kafka. */
export async function domainDatabase(service: ServiceName): Promise<DomainDatabase> {
  const databases = await freshDatabases();
  const url = databases.urls[service];
  const pool = openPool(url, "messages", 2, Fastify().log);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  return {
    url,
    sql: sqlOn(pool),
    db,
    close: async () => {
      await pool.end();
      await db.end();
      await databases.drop();
    },
  };
}

/** Messages as the consumer hands them to a domain function: one chunk of one partition, in order. */
export function asChunk<T>(topic: string, messages: T[]): Delivered<T>[] {
  return messages.map((message, i) => ({ message, context: { topic, partition: 0, offset: String(i) } }));
}

/**
 * A room type written straight into a room service database: `units` units, and, given a `rate`
 * (minor units a night), a rate plan: EUR, PREPAID, free until 48 h before, then one night kept,
 * unless told otherwise. Without one: paid at the hotel, no price.
 */
export async function insertRoom(
  db: pg.Client,
  units: number,
  plan: { rate?: number; currency?: string; payment?: "AT_HOTEL" | "PREPAID"; penaltyNights?: number } = {},
): Promise<string> {
  const priced = plan.rate !== undefined;
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO "rooms" ("id", "name", "units", "currency", "nightly_rate", "payment", "free_until_hours", "penalty_nights")
     VALUES (gen_random_uuid(), 'Domain test', $1, $2, $3, $4::"PaymentMode", $5, $6) RETURNING "id"::text`,
    [
      units,
      priced ? (plan.currency ?? "EUR") : null,
      plan.rate ?? null,
      plan.payment ?? (priced ? "PREPAID" : "AT_HOTEL"),
      priced ? 48 : 0,
      plan.penaltyNights ?? (priced ? 1 : 0),
    ],
  );
  return rows[0]?.id as string;
}
