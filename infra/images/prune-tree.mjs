// prune-tree.mjs ROOT PROJECT... - keeps, of a pnpm production install at ROOT, only what the named
// workspace projects (folders under ROOT, "." for the root) can load, and deletes the rest of
// node_modules/.pnpm. pnpm installs two things the services never load:
//   - @prisma/client's optional peers, the prisma CLI (with Studio, PGlite, effect, React) and
//     typescript: pnpm links them from the workspace root's devDependencies, whatever `--prod`
//     says (the client is generated at build time by that CLI and needs neither at run time);
//   - the production dependencies of projects the image does not hold (test/).
// Reachability follows pnpm's layout: a package in .pnpm/<id>/node_modules/<name> sees its
// dependencies as the other entries of .pnpm/<id>/node_modules. Then the query compilers of the
// databases the services do not use are dropped from @prisma/client (the generated clients import
// the PostgreSQL one only), with the runtime's source maps.
import { existsSync, lstatSync, readdirSync, realpathSync, rmSync } from "node:fs";
import path from "node:path";

const [root, ...projects] = process.argv.slice(2);
if (!root || projects.length === 0) throw new Error("usage: prune-tree.mjs ROOT PROJECT...");
const store = path.join(root, "node_modules", ".pnpm");
/** Links not followed: the package's optional peers nothing loads at run time. */
const UNUSED_PEERS = { "@prisma/client": ["prisma", "typescript"] };

/** The entries of a node_modules folder, scoped ones included: [name, path]. */
function entries(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => !name.startsWith("."))
    .flatMap((name) =>
      name.startsWith("@")
        ? readdirSync(path.join(dir, name)).map((sub) => [`${name}/${sub}`, path.join(dir, name, sub)])
        : [[name, path.join(dir, name)]],
    );
}

const kept = new Set(); // .pnpm/<id> folders in use
const seen = new Set();
const queue = projects.flatMap((project) => entries(path.join(root, project, "node_modules")));
while (queue.length > 0) {
  const [name, link] = queue.pop();
  if (!existsSync(link)) continue;
  const real = realpathSync(link);
  if (seen.has(real)) continue;
  seen.add(real);
  const inStore = path.relative(store, real).split(path.sep);
  if (inStore[0] === "..") {
    queue.push(...entries(path.join(real, "node_modules"))); // a workspace package: its own links
    continue;
  }
  kept.add(inStore[0]);
  const skip = UNUSED_PEERS[name] ?? [];
  const siblings = path.join(store, inStore[0], "node_modules");
  for (const [sibling, at] of entries(siblings))
    if (sibling !== name && !skip.includes(sibling)) queue.push([sibling, at]);
}

let removed = 0;
for (const id of readdirSync(store)) {
  if (id === "node_modules" || id.startsWith(".") || kept.has(id)) continue;
  rmSync(path.join(store, id), { recursive: true, force: true });
  removed += 1;
}
// pnpm's hoisted links (.pnpm/node_modules) to what is gone, and the workspace's own links to it.
for (const dir of [path.join(store, "node_modules"), ...projects.map((p) => path.join(root, p, "node_modules"))]) {
  for (const [, link] of entries(dir)) if (lstatSync(link).isSymbolicLink() && !existsSync(link)) rmSync(link);
}
for (const id of kept) {
  if (!id.startsWith("@prisma+client@")) continue;
  const runtime = path.join(store, id, "node_modules", "@prisma", "client", "runtime");
  for (const file of readdirSync(runtime)) {
    if (/\.(mysql|sqlite|sqlserver|cockroachdb)\./.test(file) || file.endsWith(".map"))
      rmSync(path.join(runtime, file));
  }
}
console.log(`prune-tree: kept ${kept.size} packages, removed ${removed}`);
