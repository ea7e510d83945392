import pg from "pg";
import { DependencyUnavailableError } from "./errors.js";

const PRISMA_CONNECTION_CODES = new Set(["P1001", "P1002", "P1017", "P2024"]);
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "57P01",
  "57P03",
]);

/**
 * SQLSTATE classes of a moment, not of the data: connection exception (08), transaction rollback
 * such as a deadlock or serialization failure (40), insufficient resources (53), operator
 * intervention such as a statement timeout or a shutdown (57), system error (58); and a lock not
 * granted in time (55P03).
 */
const TRANSIENT_CLASSES = new Set(["08", "40", "53", "57", "58"]);
const TRANSIENT_MESSAGES = /timeout exceeded when trying to connect|Query read timeout/i;

/**
 * SQLSTATE classes of the data, not of the moment: the same statement fails the same way every
 * time: data exception such as a bad cast (22), integrity constraint violation (23), syntax or
 * access rule (42), feature not supported (0A), an exception raised by a function (P0).
 */
const DETERMINISTIC_CLASSES = new Set(["22", "23", "42", "0A", "P0"]);

/** The SQLSTATE of a PostgreSQL error (or of the error it wraps), if any. */
export function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const { code, cause } = e as { code?: unknown; cause?: unknown };
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = cause;
  }
  return undefined;
}

/** True when the same statement may well succeed later: the database is away, busy or locked. */
export function isTransientDatabaseError(err: unknown): boolean {
  if (isConnectionError(err)) return true;
  const code = sqlState(err);
  if (code) return TRANSIENT_CLASSES.has(code.slice(0, 2)) || code === "55P03";
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const { message, cause } = e as { message?: string; cause?: unknown };
    if (message && TRANSIENT_MESSAGES.test(message)) return true;
    e = cause;
  }
  return false;
}

/** True when the database refused what was asked, as it will every time it is asked. */
export function isDeterministicDatabaseError(err: unknown): boolean {
  const code = sqlState(err);
  return code !== undefined && DETERMINISTIC_CLASSES.has(code.slice(0, 2));
}

export function describeDatabase(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}

/** True when an error (from pg or Prisma's adapter) means the database cannot be reached. */
export function isConnectionError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const { code, message, cause } = e as {
      code?: string;
      message?: string;
      cause?: unknown;
    };
    if (code && CONNECTION_CODES.has(code)) return true;
    // Prisma: can't reach (P1001), timed out (P1002), connection closed (P1017), pool timeout (P2024).
    if (code && PRISMA_CONNECTION_CODES.has(code)) return true;
    if (message && /connect(ion)? (terminated|timeout|refused)|ECONNREFUSED|Connection terminated/i.test(message))
      return true;
    e = cause;
  }
  return false;
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

const databaseName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));
const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

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
