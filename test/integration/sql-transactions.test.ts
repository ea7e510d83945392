import { openPool, type Sql, sql, sqlOn } from "@saga/platform/sql";
import Fastify from "fastify";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

describe("consumer transactions on plain pg connections", () => {
  let pool: pg.Pool;
  let statements: Sql;
  let admin: pg.Client;
  beforeAll(async () => {
    pool = openPool(inject("infra").databases.room, "messages", 2, Fastify().log);
    statements = sqlOn(pool);
    admin = new pg.Client({ connectionString: inject("infra").databases.room });
    await admin.connect();
  });
  afterAll(async () => {
    await pool?.end();
    await admin?.end();
  });

  it("when a statement uses template values, then they are sent as parameters, never spliced into the text", async () => {
    const hostile = '\'; DROP TABLE "rooms"; --';
    const rows = await statements.transaction((tx) =>
      tx.rows<{ value: string; n: number }>(sql`SELECT ${hostile}::text AS "value", ${41}::int + 1 AS "n"`),
    );
    expect(rows).toEqual([{ value: hostile, n: 42 }]);
  });

  it("when the function throws, then nothing it wrote is committed", async () => {
    const name = `rolled back ${Date.now()}`;
    await expect(
      statements.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO "rooms" ("id", "name", "units") VALUES (gen_random_uuid(), ${name}, 1)`);
        throw new Error("domain refused");
      }),
    ).rejects.toThrow("domain refused");
    const { rows } = await admin.query(`SELECT 1 FROM "rooms" WHERE "name" = $1`, [name]);
    expect(rows).toHaveLength(0);
  });

  it("when the connection breaks inside a transaction, then that transaction fails, the process survives, and the next one runs", async () => {
    await expect(
      statements.transaction(async (tx) => {
        const [me] = await tx.rows<{ pid: number }>(sql`SELECT pg_backend_pid() AS "pid"`);
        await admin.query("SELECT pg_terminate_backend($1)", [me?.pid]);
        // The server ends this session: the statement fails instead of sleeping, either with the
        // server's own message or, when node-postgres saw the connection close first, with its own.
        await tx.rows(sql`SELECT pg_sleep(30)`);
      }),
    ).rejects.toThrow(/terminating connection|connection error/i);

    const [after] = await statements.transaction((tx) => tx.rows<{ ok: number }>(sql`SELECT 1 AS "ok"`));
    expect(after).toEqual({ ok: 1 });
  });
});
