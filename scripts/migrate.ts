// Applies the Prisma migrations of both services (or of those named): `pnpm db:migrate [service…]`.
import { databaseUnavailable, describeDatabase, isConnectionError } from "@saga/platform";
import { migrate } from "@saga/platform/migrate";
import { serviceDatabases } from "./databases.js";

const wanted = process.argv.slice(2);
for (const db of serviceDatabases().filter((d) => wanted.length === 0 || wanted.includes(d.service))) {
  try {
    const { applied, missingLocally } = await migrate(db.url, db.migrations);
    if (missingLocally.length) {
      console.warn(`${db.service}: applied in the database but not found locally: ${missingLocally.join(", ")}`);
    }
    const what = applied.length ? `applied ${applied.join(", ")}` : "up to date";
    console.log(`${db.service}: ${describeDatabase(db.url)} ${what}`);
  } catch (err) {
    const reason = isConnectionError(err)
      ? databaseUnavailable(db.url, db.envVar, err).message
      : (err as Error).message;
    console.error(`${db.service}: migration failed: ${reason}`);
    process.exit(1);
  }
}
