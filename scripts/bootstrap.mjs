// Makes a fresh clone runnable with nothing but Node and npm, then runs a pnpm script:
//   node scripts/bootstrap.mjs <script> [args…]
// Installs the pinned pnpm (from package.json's packageManager) when it is missing, and the
// dependencies when node_modules is missing or older than the lockfile.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pnpmVersion = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).packageManager.split("@")[1];

function pnpmFound() {
  try {
    return execFileSync("pnpm", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

function run(command, args) {
  const { status } = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (status !== 0) process.exit(status ?? 1);
}

if (pnpmFound()?.split(".")[0] !== pnpmVersion.split(".")[0]) {
  console.log(`bootstrap: installing pnpm ${pnpmVersion} with npm`);
  run("npm", ["install", "--global", "--no-fund", "--no-audit", `pnpm@${pnpmVersion}`]);
}

const marker = path.join(root, "node_modules", ".modules.yaml");
const lockfile = path.join(root, "pnpm-lock.yaml");
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lockfile).mtimeMs) {
  console.log("bootstrap: installing dependencies");
  run("pnpm", ["install", "--frozen-lockfile"]);
}

// `pnpm test -- -t name` hands us a leading "--": the script's own arguments follow it.
const [script, ...rest] = process.argv.slice(2);
const args = rest[0] === "--" ? rest.slice(1) : rest;
if (script) run("pnpm", ["run", script, ...args]);
