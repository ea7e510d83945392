// Runs the Prisma CLI against one service's schema:
//   node scripts/prisma.mjs generate              both services' clients (run by `pnpm install`)
//   node scripts/prisma.mjs studio <service> [args] Prisma Studio on that service's database (`pnpm db:studio room`)
// The CLI wants a schema engine binary even for commands that never use it, and cannot download
// one on a closed network: unless the caller names a real one, point it at an existing file.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";

// Every service with a schema of its own: prisma/<service>/prisma.config.ts.
const PRISMA = new URL("../prisma/", import.meta.url);
const SERVICES = readdirSync(PRISMA).filter((name) => existsSync(new URL(`${name}/prisma.config.ts`, PRISMA)));
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1" };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
}

function prisma(service, args) {
  const { status } = spawnSync("pnpm", ["exec", "prisma", ...args, "--config", `prisma/${service}/prisma.config.ts`], {
    stdio: "inherit",
    env,
  });
  if (status !== 0) process.exit(status ?? 1);
}

const [command, service, ...rest] = process.argv.slice(2);
if (command === "generate") {
  for (const name of SERVICES) prisma(name, ["generate"]);
} else if (command === "studio" && SERVICES.includes(service)) {
  prisma(service, ["studio", ...rest]);
} else {
  console.error(`usage: node scripts/prisma.mjs generate | studio <${SERVICES.join("|")}> [--port N]`);
  process.exit(2);
}
