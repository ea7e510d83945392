// Prisma Studio on a service's database, logged in as the operators' role (it may read every table,
// and change none): `pnpm db:studio <service> [--port 5555] [--browser none]`. Studio itself starts
// without a database and only fails in the browser: it is started once the database answers.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { failInOneLine, reachDatabases } from "@saga/ops/cli";
import { serviceDatabases } from "@saga/ops/databases";
import { ROOT } from "@saga/ops/local";

failInOneLine("db:studio");
const [service, ...rest] = process.argv.slice(2);
const db = serviceDatabases().find((d) => d.service === service);
if (!db) {
  console.error(
    `usage: pnpm db:studio ${serviceDatabases()
      .map((d) => d.service)
      .join("|")} [--port N] [--browser none]`,
  );
  process.exit(2);
}
await reachDatabases([{ url: db.operatorUrl, setting: db.envVar }]);
// Stopped (Ctrl-C, SIGTERM), it passes the signal on and exits once Studio has: none is left behind.
const studio = spawn(process.execPath, ["scripts/prisma.mjs", "studio", db.service, ...rest], {
  cwd: ROOT,
  stdio: "inherit",
  env: { ...process.env, [db.envVar]: db.operatorUrl },
});
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => studio.kill(signal));
const [code] = (await once(studio, "exit")) as [number | null];
process.exit(code ?? 1);
