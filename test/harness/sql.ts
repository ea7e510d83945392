import pg from "pg";

/** Runs one statement on a database of the test's, on a connection of its own, and returns the rows. */
export async function queryRows<T extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** The one number a `SELECT count(*)::int AS "n"`-like statement returns. */
export async function queryNumber(url: string, sql: string, values: unknown[] = []): Promise<number> {
  const [row] = await queryRows<{ n: number }>(url, sql, values);
  return Number(row?.n);
}
