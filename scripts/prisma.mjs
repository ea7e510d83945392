// Runs the Prisma CLI against one service's schema:
//   node scripts/prisma.mjs generate              both services' clients (run by `pnpm install`)
//   node scripts/prisma.mjs studio <service> [args] Prisma Studio on that service's database (`pnpm db:studio room`)
// The CLI wants a schema engine binary even for commands that never use it, and cannot download
// one on a closed network: unless the caller names a real one, point it at an existing file.
// The CLI runs as this process's one child, in this Node, with SIGTERM and SIGINT passed on: a
// stopped `pnpm db:studio` leaves no Studio behind (through `pnpm exec`, stopping this process
// left pnpm and Studio running, still listening on their port).
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";

// Every service with a schema of its own: prisma/<service>/prisma.config.ts.
const PRISMA = new URL("../prisma/", import.meta.url);
const SERVICES = readdirSync(PRISMA).filter((name) => existsSync(new URL(`${name}/prisma.config.ts`, PRISMA)));
const CLI = createRequire(import.meta.url).resolve("prisma/build/index.js");
// No update check: it calls home, which a closed network never answers.
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
}

/** Runs the CLI for one service's schema; resolves to its exit code (a signal's number past 128). */
function prisma(service, args) {
  const child = spawn(process.execPath, [CLI, ...args, "--config", `prisma/${service}/prisma.config.ts`], {
    stdio: "inherit",
    env,
  });
  const forward = (signal) => child.kill(signal);
  process.on("SIGTERM", forward).on("SIGINT", forward);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      process.off("SIGTERM", forward).off("SIGINT", forward);
      resolve(code ?? 128 + (signal === "SIGINT" ? 2 : 15));
    });
  });
}

const [command, service, ...rest] = process.argv.slice(2);
if (command === "generate") {
  for (const name of SERVICES) {
    const code = await prisma(name, ["generate"]);
    if (code !== 0) process.exit(code);
  }
} else if (command === "studio" && SERVICES.includes(service)) {
  process.exit(await prisma(service, ["studio", ...rest]));
} else {
  console.error(`usage: node scripts/prisma.mjs generate | studio <${SERVICES.join("|")}> [--port N]`);
  process.exit(2);
}
