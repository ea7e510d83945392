import { sqlState } from "@saga/platform/sql";
import pg from "pg";

/** The same server, user and options as `url`, another database. */
export function withDatabase(url: string, name: string): string {
  const target = new URL(url);
  target.pathname = `/${name}`;
  return target.toString();
}

export const databaseName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));
export const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Runs `fn` on the server's `postgres` database with the quoted name of the database in `url`. */
async function onServer<T>(
  url: string,
  fn: (client: pg.Client, quotedName: string, name: string) => Promise<T>,
): Promise<T> {
  const name = databaseName(url);
  const client = new pg.Client({ connectionString: withDatabase(url, "postgres"), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client, quoted(name), name);
  } finally {
    await client.end();
  }
}

/** Creates the database named in the URL when it does not exist yet. */
export function ensureDatabase(url: string): Promise<void> {
  return onServer(url, async (client, quoted, name) => {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rowCount !== 0) return;
    try {
      await client.query(`CREATE DATABASE ${quoted}`);
    } catch (err) {
      // 42P04, duplicate_database: another process created it since the look above.
      if (sqlState(err) !== "42P04") throw err;
    }
  });
}

/** Creates the database named in `url` as a copy of the one in `templateUrl` (nobody may be connected to it). */
export function copyDatabase(templateUrl: string, url: string): Promise<void> {
  return onServer(url, async (client, name) => {
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${quoted(databaseName(templateUrl))}`);
  });
}

export function dropDatabase(url: string): Promise<void> {
  return onServer(url, async (client, quoted) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
  });
}
