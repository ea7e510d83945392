import type { Query } from "@saga/platform/sql";

/**
 * A pgbench expression standing where the service passes a value (`:room1`, `gen_random_uuid()`,
 * an `ARRAY(…)` of a stay's nights): the services' own statements are rendered with these in place
 * of their parameters, so pgbench runs their SQL, text for text, with values it draws itself.
 */
class Expr {
  constructor(readonly sql: string) {}
}

/** `expr` typed as whatever the statement builder takes there. */
export const expr = <T = string>(sql: string): T => new Expr(sql) as unknown as T;

function literal(value: unknown): string {
  if (value instanceof Expr) return `(${value.sql})`;
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value instanceof Date) return `'${value.toISOString()}'`;
  if (Array.isArray(value)) return value.length === 0 ? "'{}'" : `ARRAY[${value.map(literal).join(", ")}]`;
  return `'${String(value).replaceAll("'", "''")}'`;
}

/** The statement with its parameters written in place, on one line (end it with `;` or `\gset`). */
export function pgbenchStatement(query: Query): string {
  const text = query.text.replace(/\$(\d+)/g, (_, n: string) => literal(query.values[Number(n) - 1]));
  return text.replace(/\s*\n\s*/g, " ").trim();
}
