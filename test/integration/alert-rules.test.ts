// The alerting rules (infra/prometheus/alerts.yml) as Prometheus reads them: `pnpm alerts:test`
// passes (promtool checks the configuration and the rules, and runs alerts.test.yml), every alert
// has a case where it fires and one where it stays silent, and a runbook section in the docs.
import { exec } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "@saga/ops/local";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";

const run = promisify(exec);
const PROMETHEUS = path.join(ROOT, "infra", "prometheus");

interface Rule {
  alert: string;
  expr: string;
  annotations?: Record<string, string>;
}
type Rules = { groups: { name: string; rules: Rule[] }[] };

const readRules = async (): Promise<Rules> => parse(await readFile(path.join(PROMETHEUS, "alerts.yml"), "utf8"));
const alertsOf = (rules: Rules) => rules.groups.flatMap((g) => g.rules);

async function outcome(command: string, cwd: string) {
  try {
    const { stdout, stderr } = await run(command, { cwd, timeout: 60_000 });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (err) {
    const { code, stdout, stderr } = err as { code: number; stdout: string; stderr: string };
    return { code, output: `${stdout}${stderr}` };
  }
}

/** The alerts whose cases fail in `promtool test rules` when every alert's expression is `expr`. */
async function failingWith(expr: string, dirs: string[]): Promise<string[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "alerts-"));
  dirs.push(dir);
  await cp(path.join(PROMETHEUS, "alerts.test.yml"), path.join(dir, "alerts.test.yml"));
  const rules = await readRules();
  for (const rule of alertsOf(rules)) rule.expr = expr;
  await writeFile(path.join(dir, "alerts.yml"), stringify(rules));
  const { code, output } = await outcome("promtool test rules alerts.test.yml", dir);
  expect(code, output).not.toBe(0);
  return [...new Set([...output.matchAll(/alertname: (\w+)/g)].map((m) => m[1] as string))].sort();
}

/** GitHub's anchor of a Markdown heading. */
const anchorOf = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");

describe("the alerting rules", () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it("when pnpm alerts:test runs, then promtool finds the configuration and rules valid and every rule test passes", async () => {
    const { scripts } = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8"));

    const { code, output } = await outcome(scripts["alerts:test"], ROOT);

    expect(code, output).toBe(0);
    expect(output).toContain("is valid prometheus config file syntax");
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
    expect(output).toMatch(/Unit Testing: {2}infra\/prometheus\/alerts\.test\.yml\n {2}SUCCESS/);
  });

  it("when no alert ever fires, then the rule tests fail for every alert: each has a case where it fires", async () => {
    const alerts = alertsOf(await readRules()).map((r) => r.alert);

    const failing = await failingWith("vector(0) > 1", dirs);

    expect(failing).toEqual([...alerts].sort());
  });

  it("when every alert always fires, then the rule tests fail for every alert: each has a case where it stays silent", async () => {
    const alerts = alertsOf(await readRules()).map((r) => r.alert);

    const failing = await failingWith("vector(1)", dirs);

    expect(failing).toEqual([...alerts].sort());
  });

  it("when an operator reads an alert, then it says what and why, and its runbook is a section of docs/operations.md", async () => {
    const docs = await readFile(path.join(ROOT, "docs", "operations.md"), "utf8");
    const anchors = [...docs.matchAll(/^#{2,4} (.+)$/gm)].map((m) => anchorOf(m[1] as string));

    const problems = alertsOf(await readRules()).flatMap(({ alert, annotations = {} }) => {
      const [file, anchor] = (annotations.runbook ?? "").split("#");
      return [
        ...(annotations.summary ? [] : [`${alert}: no summary`]),
        ...(annotations.description ? [] : [`${alert}: no description`]),
        ...(file === "docs/operations.md" && anchor && anchors.includes(anchor)
          ? []
          : [`${alert}: runbook ${annotations.runbook} is no section of docs/operations.md`]),
      ];
    });

    expect(problems).toEqual([]);
  });
});
