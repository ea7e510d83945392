// Creates (when missing) and migrates the databases of both services, or of those named:
// `pnpm db:migrate [service…]`. Each is made with its roles (see scripts/local-access.ts) and
// migrated as its owner.
import { describeDatabase } from "@saga/platform";
import { prepareDatabase, serviceDatabases } from "./databases.js";

const wanted = process.argv.slice(2);
for (const db of serviceDatabases().filter((d) => wanted.length === 0 || wanted.includes(d.service))) {
  try {
    const { applied, missingLocally } = await prepareDatabase(db);
    if (missingLocally.length) {
      console.warn(`${db.service}: applied in the database but not found locally: ${missingLocally.join(", ")}`);
    }
    const what = applied.length ? `applied ${applied.join(", ")}` : "up to date";
    console.log(`${db.service}: ${describeDatabase(db.url)} ${what}`);
  } catch (err) {
    console.error(`${db.service}: migration failed: ${(err as Error).message}`);
    process.exit(1);
  }
}
