import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ROOT } from "@saga/ops/local";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("the project's commands on an unsupported Node", () => {
  it("when a command runs on a Node older than engines.node, then pnpm refuses it, saying so, and runs nothing", async () => {
    // As a shell whose first Node is 20 would: pnpm checks engines.node against the Node it runs on,
    // here named by node-version (the same check, whatever Node runs the test).
    const failure = await run("pnpm", ["--config.node-version=20.20.2", "run", "token", "guest", "ada"], {
      cwd: ROOT,
      timeout: 60_000,
    }).then(
      () => undefined,
      (err: { code: number; stdout: string; stderr: string }) => err,
    );

    expect(failure?.code).toBe(1);
    const output = `${failure?.stdout}${failure?.stderr}`;
    expect(output.trim().split("\n")[0]).toMatch(/ERR_PNPM_UNSUPPORTED_ENGINE\s+Unsupported environment/);
    expect(output).toContain("Expected version: >=22.12");
    // The token command never ran: no token was printed.
    expect(output).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  it("when it runs on a supported Node, then it runs", async () => {
    const { stdout } = await run("pnpm", ["--config.node-version=24.1.0", "--silent", "token", "guest", "ada"], {
      cwd: ROOT,
      timeout: 60_000,
    });
    expect(stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });
});
