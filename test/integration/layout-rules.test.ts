// `pnpm check:layout` holds the layout: each of its rules fails on a violation made for the
// purpose, in a small tree of its own, checked with the project's own configuration files.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "@saga/ops/local";
import { afterEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const bin = (name: string) => path.join(ROOT, "node_modules", ".bin", name);
const trees: string[] = [];

/** A tree of `files` (path -> text) under a temporary folder. */
async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "layout-"));
  trees.push(dir);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

async function outcome(command: string, args: string[], cwd: string) {
  try {
    const { stdout } = await run(command, args, { cwd, timeout: 60_000 });
    return { code: 0, output: stdout };
  } catch (err) {
    const { code, stdout, stderr } = err as { code: number; stdout: string; stderr: string };
    return { code, output: `${stdout}${stderr}` };
  }
}

const TSCONFIG = JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext" } });
const FOLDERS = ["packages", "services", "scripts", "bench", "test"];

/** dependency-cruiser with the project's rules over a tree: each file imports what `imports` names. */
async function cruise(imports: Record<string, string[]>) {
  const files: Record<string, string> = { "tsconfig.json": TSCONFIG };
  for (const [file, targets] of Object.entries(imports)) {
    files[file] = `${targets.map((t) => `import "${t}";`).join("\n")}\nexport const here = 1;\n`;
    for (const target of targets) {
      const resolved = path.join(path.dirname(file), target).replace(/\.js$/, ".ts");
      files[resolved] ??= "export const there = 1;\n";
    }
  }
  const dir = await tree(files);
  const present = FOLDERS.filter((folder) => Object.keys(files).some((f) => f.startsWith(`${folder}/`)));
  const config = path.join(ROOT, ".dependency-cruiser.cjs");
  return outcome(bin("depcruise"), [...present, "--config", config], dir);
}

afterEach(async () => {
  await Promise.all(trees.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("the layout's dependency rules (dependency-cruiser)", () => {
  it("when every import goes the allowed way, then the check passes", async () => {
    const result = await cruise({
      "services/room/src/app.ts": ["./domain.js"],
      "packages/platform/src/http.ts": ["./errors.js"],
    });
    expect(result).toMatchObject({ code: 0 });
    expect(result.output).toContain("no dependency violations found");
  });

  it.each([
    ["no-circular", { "packages/platform/src/a.ts": ["./b.js"], "packages/platform/src/b.ts": ["./a.js"] }],
    ["platform-not-to-ops", { "packages/platform/src/a.ts": ["../../ops/src/b.js"] }],
    ["services-not-to-ops", { "services/room/src/a.ts": ["../../../packages/ops/src/b.js"] }],
    ["platform-not-to-services", { "packages/platform/src/a.ts": ["../../../services/room/src/b.js"] }],
    ["contracts-stand-alone", { "packages/contracts/src/a.ts": ["../../platform/src/b.js"] }],
    ["service-not-to-service", { "services/room/src/a.ts": ["../../reservation/src/b.js"] }],
    ["tools-apart", { "bench/a.ts": ["../scripts/b.js"] }],
    ["packages-by-name", { "test/a.ts": ["../packages/contracts/src/b.js"] }],
  ] as const)("when a file breaks %s, then the check fails naming that rule", async (rule, imports) => {
    const result = await cruise(imports as unknown as Record<string, string[]>);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(rule);
  });
});

describe("no unused file, export or dependency (knip)", () => {
  it("when a package has an unused file, export and dependency, then the check fails naming each", async () => {
    const dir = await tree({
      "package.json": JSON.stringify({ name: "fixture", private: true, type: "module" }),
      "pnpm-workspace.yaml": "packages:\n  - packages/*\n",
      "packages/demo/package.json": JSON.stringify({
        name: "@fixture/demo",
        private: true,
        type: "module",
        dependencies: { "left-pad": "1.3.0" },
      }),
      "packages/demo/src/used.test.ts": 'import { used } from "./used.js";\nused();\n',
      "packages/demo/src/used.ts": "export function used() {}\nexport const neverImported = 1;\n",
      "packages/demo/src/orphan.ts": "export const orphan = 1;\n",
    });
    const result = await outcome(
      bin("knip"),
      ["--directory", dir, "--config", path.join(ROOT, "knip.jsonc"), "--no-config-hints"],
      ROOT,
    );
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/Unused files[\s\S]*packages\/demo\/src\/orphan\.ts/);
    expect(result.output).toMatch(/Unused dependencies[\s\S]*left-pad/);
    expect(result.output).toMatch(/Unused exports[\s\S]*neverImported/);
  });
});
