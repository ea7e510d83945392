import pg from "pg";
import { DependencyUnavailableError } from "./errors.js";

export function describeDatabase(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}

/** The driver's own words for why it failed, on one line (Prisma wraps them in a multi-line report). */
function oneLineReason(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const quoted = /Message: `([^`]+)`/.exec(cause.message)?.[1];
  const lines = cause.message
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  return quoted ?? lines.at(-1) ?? (cause as { code?: string }).code ?? cause.name;
}

export function databaseUnavailable(url: string, envVar: string, cause: unknown): DependencyUnavailableError {
  return new DependencyUnavailableError(
    `PostgreSQL is not reachable at ${describeDatabase(url)} (${oneLineReason(cause)}). Start PostgreSQL or set ${envVar}.`,
    { cause },
  );
}

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
    await client.query(`CREATE DATABASE ${quoted}`).catch((err: { code?: string }) => {
      if (err.code !== "42P04") throw err; // created concurrently
    });
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
