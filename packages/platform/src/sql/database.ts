import { DependencyUnavailableError } from "../errors.js";

/** `host:port/database` of a URL, with no credentials: what a message may name. */
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
