import pg from "pg";
import { databaseName, ensureDatabase, quoted, withDatabase } from "./database-admin.js";

export interface Role {
  name: string;
  password: string;
}

/**
 * Who may do what in one service's database: the owner runs migrations (and owns every object),
 * the service's own role reads and writes rows and nothing else, the operators' role only reads.
 */
export interface DatabaseRoles {
  owner: Role;
  app: Role;
  operator: Role;
}

/** The same server and database as `url`, logged in as `role`. */
export function asRole(url: string, role: Role): string {
  const target = new URL(url);
  target.username = encodeURIComponent(role.name);
  target.password = encodeURIComponent(role.password);
  return target.toString();
}

async function run(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** Creates each role, or gives it this password when it exists: a login, and no power beyond its grants. */
async function ensureRoles(adminUrl: string, roles: Role[]): Promise<void> {
  await run(
    withDatabase(adminUrl, "postgres"),
    roles.map(
      ({ name, password }) => `DO $$ BEGIN
  CREATE ROLE ${quoted(name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD ${literal(password)};
EXCEPTION WHEN duplicate_object THEN
  ALTER ROLE ${quoted(name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD ${literal(password)};
END $$`,
    ),
  );
}

/** Only the service's role and the operators' may connect; the owner holds the database. */
export async function grantDatabase(adminUrl: string, url: string, roles: DatabaseRoles): Promise<void> {
  const db = quoted(databaseName(url));
  await run(withDatabase(adminUrl, "postgres"), [
    `ALTER DATABASE ${db} OWNER TO ${quoted(roles.owner.name)}`,
    `REVOKE ALL ON DATABASE ${db} FROM PUBLIC`,
    `GRANT CONNECT ON DATABASE ${db} TO ${quoted(roles.app.name)}, ${quoted(roles.operator.name)}`,
  ]);
}

/**
 * Inside the database: the owner owns the schema and everything in it (objects an earlier
 * superuser made are handed over), the service's role gets rows (SELECT, INSERT, UPDATE, DELETE)
 * and sequences, the operators' role SELECT; default privileges extend both to what later
 * migrations create. No one but the owner may create, alter, drop or truncate.
 */
async function grantSchema(adminUrl: string, url: string, roles: DatabaseRoles): Promise<void> {
  const [owner, app, operator] = [roles.owner, roles.app, roles.operator].map((role) => quoted(role.name));
  await run(withDatabase(adminUrl, databaseName(url)), [
    `ALTER SCHEMA public OWNER TO ${owner}`,
    `REVOKE ALL ON SCHEMA public FROM PUBLIC`,
    `GRANT USAGE ON SCHEMA public TO ${app}, ${operator}`,
    `DO $$ DECLARE o record; BEGIN
  FOR o IN SELECT c.relname, c.relkind FROM pg_class c
           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
             AND c.relowner <> ${literal(roles.owner.name)}::regrole LOOP
    EXECUTE format('ALTER TABLE %I OWNER TO ${owner}', o.relname);
  END LOOP;
  FOR o IN SELECT t.typname FROM pg_type t
           WHERE t.typnamespace = 'public'::regnamespace AND t.typtype = 'e'
             AND t.typowner <> ${literal(roles.owner.name)}::regrole LOOP
    EXECUTE format('ALTER TYPE %I OWNER TO ${owner}', o.typname);
  END LOOP;
END $$`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${app}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${app}`,
    `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${operator}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${app}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT SELECT ON TABLES TO ${operator}`,
  ]);
}

/** The database of `url`, created when missing, with its roles and their rights (run as a superuser). */
export async function provisionDatabase(adminUrl: string, url: string, roles: DatabaseRoles): Promise<void> {
  await ensureRoles(adminUrl, [roles.owner, roles.app, roles.operator]);
  await ensureDatabase(withDatabase(adminUrl, databaseName(url)));
  await grantDatabase(adminUrl, url, roles);
  await grantSchema(adminUrl, url, roles);
}
