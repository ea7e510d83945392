import { type ErrorFields, errorChain, someInChain } from "../errors.js";

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "57P01",
  "57P03",
  // Prisma: can't reach (P1001), timed out (P1002), connection closed (P1017), pool timeout (P2024).
  "P1001",
  "P1002",
  "P1017",
  "P2024",
]);
const CONNECTION_MESSAGES = /connect(ion)? (terminated|timeout|refused)|ECONNREFUSED|Connection terminated/i;

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

const isSqlState = (code: unknown): code is string => typeof code === "string" && /^[0-9A-Z]{5}$/.test(code);
const says = (pattern: RegExp) => (e: ErrorFields) => typeof e.message === "string" && pattern.test(e.message);

/** The SQLSTATE of a PostgreSQL error (or of the error it wraps), if any. */
export function sqlState(err: unknown): string | undefined {
  for (const { code } of errorChain(err)) if (isSqlState(code)) return code;
  return undefined;
}

/** True when an error (from pg or Prisma's adapter) means the database cannot be reached. */
export function isConnectionError(err: unknown): boolean {
  return someInChain(err, (e) => CONNECTION_CODES.has(e.code as string) || says(CONNECTION_MESSAGES)(e));
}

/** True when the same statement may well succeed later: the database is away, busy or locked. */
export function isTransientDatabaseError(err: unknown): boolean {
  if (isConnectionError(err)) return true;
  const code = sqlState(err);
  if (code) return TRANSIENT_CLASSES.has(code.slice(0, 2)) || code === "55P03";
  return someInChain(err, says(TRANSIENT_MESSAGES));
}

/** True when the database refused what was asked, as it will every time it is asked. */
export function isDeterministicDatabaseError(err: unknown): boolean {
  const code = sqlState(err);
  return code !== undefined && DETERMINISTIC_CLASSES.has(code.slice(0, 2));
}
