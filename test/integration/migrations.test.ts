import { createHash, randomBytes } from "node:crypto";
import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { dropDatabase, ensureDatabase, migrate, withDatabase } from "@saga/ops/databases";
import { ROOT } from "@saga/ops/local";
import pg from "pg";
import { describe, expect, inject, it, onTestFinished } from "vitest";

const ROOM_MIGRATIONS = path.join(ROOT, "prisma/room/migrations");

interface MigrationRow {
  id: string;
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}

/** An empty database of this test's own on the run's PostgreSQL server, dropped when the test ends. */
async function aFreshDatabase(): Promise<string> {
  const url = withDatabase(
    inject("infra").databases.room,
    `saga_test_${inject("infra").runId}_migrate_${randomBytes(4).toString("hex")}`,
  );
  await ensureDatabase(url);
  onTestFinished(() => dropDatabase(url));
  return url;
}

/** A copy of the room migrations that this test may edit. */
async function aCopyOfTheMigrations(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "saga-migrations-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await cp(ROOM_MIGRATIONS, dir, { recursive: true });
  return dir;
}

async function writeMigration(dir: string, name: string, sql: string): Promise<void> {
  await mkdir(path.join(dir, name), { recursive: true });
  await writeFile(path.join(dir, name, "migration.sql"), sql);
}

async function migrationFolders(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

async function query<T extends pg.QueryResultRow>(databaseUrl: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const recorded = (databaseUrl: string) =>
  query<MigrationRow>(databaseUrl, `SELECT * FROM "_prisma_migrations" ORDER BY "started_at", "migration_name"`);

describe("migrate", () => {
  it("when the migrations are applied to an empty database, then each folder is recorded once, finished, with the SHA-256 of its migration.sql", async () => {
    const databaseUrl = await aFreshDatabase();
    const folders = await migrationFolders(ROOM_MIGRATIONS);

    const result = await migrate(databaseUrl, ROOM_MIGRATIONS);

    expect(result).toEqual({ applied: folders, alreadyApplied: [], missingLocally: [] });
    const expected = await Promise.all(
      folders.map(async (name) => ({
        migration_name: name,
        checksum: createHash("sha256")
          .update(await readFile(path.join(ROOM_MIGRATIONS, name, "migration.sql")))
          .digest("hex"),
        finished_at: expect.any(Date),
        rolled_back_at: null,
        applied_steps_count: 1,
        logs: null,
      })),
    );
    expect(await recorded(databaseUrl)).toMatchObject(expected);
  });

  it("when the migrations run a second time, then nothing is applied and nothing new is recorded", async () => {
    const databaseUrl = await aFreshDatabase();
    await migrate(databaseUrl, ROOM_MIGRATIONS);
    const before = await recorded(databaseUrl);

    const result = await migrate(databaseUrl, ROOM_MIGRATIONS);

    expect(result).toEqual({
      applied: [],
      alreadyApplied: await migrationFolders(ROOM_MIGRATIONS),
      missingLocally: [],
    });
    expect(await recorded(databaseUrl)).toEqual(before);
  });

  it("when two runs start together on an empty database, then each migration is applied exactly once", async () => {
    const databaseUrl = await aFreshDatabase();
    const folders = await migrationFolders(ROOM_MIGRATIONS);

    const [first, second] = await Promise.all([
      migrate(databaseUrl, ROOM_MIGRATIONS),
      migrate(databaseUrl, ROOM_MIGRATIONS),
    ]);

    expect([...first.applied, ...second.applied]).toEqual(folders);
    expect((await recorded(databaseUrl)).map((row) => row.migration_name)).toEqual(folders);
  });

  it("when an applied migration's folder is gone, then the run names it as missing locally and applies nothing", async () => {
    const databaseUrl = await aFreshDatabase();
    const migrations = await aCopyOfTheMigrations();
    await migrate(databaseUrl, migrations);
    const gone = (await migrationFolders(migrations)).at(-1);
    if (!gone) throw new Error(`no migration in ${migrations}`);
    await rm(path.join(migrations, gone), { recursive: true });

    const result = await migrate(databaseUrl, migrations);

    expect(result.missingLocally).toEqual([gone]);
    expect(result.applied).toEqual([]);
  });

  it("when an applied migration's file has changed, then the next run refuses and names that migration", async () => {
    const databaseUrl = await aFreshDatabase();
    const migrations = await aCopyOfTheMigrations();
    await migrate(databaseUrl, migrations);
    const [changed] = await migrationFolders(migrations);
    if (!changed) throw new Error(`no migration in ${migrations}`);
    await appendFile(path.join(migrations, changed, "migration.sql"), "\n-- edited after it was applied\n");
    const before = await recorded(databaseUrl);

    const run = migrate(databaseUrl, migrations);

    await expect(run).rejects.toThrow(`migration ${changed} was modified after it was applied (checksum differs)`);
    expect(await recorded(databaseUrl)).toEqual(before);
  });

  it("when a migration fails, then it is recorded unfinished with the error in its logs, and nothing of it stays", async () => {
    const databaseUrl = await aFreshDatabase();
    const migrations = await aCopyOfTheMigrations();
    const folders = await migrationFolders(migrations);
    const broken = "29990101000000_broken";
    await writeMigration(
      migrations,
      broken,
      `CREATE TABLE "half_done" ("id" INTEGER);\nALTER TABLE "no_such_table" ADD COLUMN "x" TEXT;\n`,
    );

    const run = migrate(databaseUrl, migrations);

    await expect(run).rejects.toThrow(`migration ${broken} failed: relation "no_such_table" does not exist`);
    expect(await recorded(databaseUrl)).toMatchObject([
      ...folders.map((name) => ({ migration_name: name, finished_at: expect.any(Date) })),
      {
        migration_name: broken,
        finished_at: null,
        rolled_back_at: null,
        applied_steps_count: 0,
        logs: expect.stringContaining('relation "no_such_table" does not exist'),
      },
    ]);
    expect(await query(databaseUrl, `SELECT to_regclass('half_done') AS "table"`)).toEqual([{ table: null }]);
  });

  it("when a migration failed before, then the next run refuses and says how to resolve it, even once the file is fixed", async () => {
    const databaseUrl = await aFreshDatabase();
    const migrations = await aCopyOfTheMigrations();
    const broken = "29990101000000_broken";
    await writeMigration(migrations, broken, `ALTER TABLE "no_such_table" ADD COLUMN "x" TEXT;`);
    await expect(migrate(databaseUrl, migrations)).rejects.toThrow(`migration ${broken} failed`);
    await writeMigration(migrations, broken, `ALTER TABLE "rooms" ADD COLUMN "x" TEXT;`);

    const run = migrate(databaseUrl, migrations);

    await expect(run).rejects.toThrow(
      `migration ${broken} failed earlier and is recorded as unfinished; fix the database, then mark it rolled back (prisma migrate resolve --rolled-back ${broken})`,
    );
    expect(
      await query(
        databaseUrl,
        `SELECT count(*)::int AS "attempts" FROM "_prisma_migrations" WHERE "migration_name" = '${broken}'`,
      ),
    ).toEqual([{ attempts: 1 }]);
  });

  it("when a failed migration is marked rolled back and fixed, then the next run applies it", async () => {
    const databaseUrl = await aFreshDatabase();
    const migrations = await aCopyOfTheMigrations();
    const broken = "29990101000000_broken";
    await writeMigration(migrations, broken, `ALTER TABLE "no_such_table" ADD COLUMN "x" TEXT;`);
    await expect(migrate(databaseUrl, migrations)).rejects.toThrow(`migration ${broken} failed`);
    await query(
      databaseUrl,
      `UPDATE "_prisma_migrations" SET "rolled_back_at" = now() WHERE "migration_name" = '${broken}'`,
    );
    await writeMigration(migrations, broken, `ALTER TABLE "rooms" ADD COLUMN "x" TEXT;`);

    const result = await migrate(databaseUrl, migrations);

    expect(result.applied).toEqual([broken]);
    const attempts = (await recorded(databaseUrl)).filter((row) => row.migration_name === broken);
    expect(attempts).toMatchObject([
      { finished_at: null, rolled_back_at: expect.any(Date) },
      { finished_at: expect.any(Date), rolled_back_at: null, applied_steps_count: 1 },
    ]);
  });
});
