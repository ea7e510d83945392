// Run by the production image (docker compose's migrate step) and by `pnpm db:migrate [service…]`:
// creates (when missing) and migrates every service's database, or those named. Each is made with
// its roles (see @saga/ops/local) and migrated as its owner.
import { prepareDatabase, serviceDatabases } from "@saga/ops/databases";
import { describeDatabase } from "@saga/platform/sql";

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
