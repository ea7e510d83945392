// The one way a service process is started, awaited and stopped: by the stack, the bench and the tests.
import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, mkdirSync, openSync } from "node:fs";
import path from "node:path";
import type { ServiceName } from "@saga/contracts";
import { envPrefix } from "@saga/platform/config";
import { ROOT } from "./root.js";

export { type PidFile, pidFile } from "./pid-file.js";

/** Where a service's server starts: `services/<name>/src/server.ts`, run by Node through tsx. */
export const entryOf = (service: ServiceName) => path.join("services", service, "src", "server.ts");

export interface LaunchOptions {
  /** The whole environment of the process (the caller's, with what it adds). */
  env: NodeJS.ProcessEnv;
  port: number;
  host?: string;
  /** Where its stdout and stderr go: a file (appended to), the caller's own stderr, or nowhere. */
  output: { file: string } | "inherit-stderr" | "ignore";
  /** In a process group of its own that outlives the caller (the stack's services); stopped by pid. */
  detached?: boolean;
  /** Node's own flags (`--cpu-prof`, GC settings), before the entry. */
  nodeFlags?: string[];
  /** The checkout it runs from: this one, unless another build's (the rolling-upgrade test runs the previous release's). */
  root?: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchedService {
  name: ServiceName | "reconciler";
  url: string;
  pid: number;
  child: ChildProcess;
  /** Resolves once the process has exited, however. */
  exited: Promise<Exit>;
  /** Resolves once `/health/ready` answers 200; rejects if the process exits first or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** Sends `signal` (SIGTERM by default) unless it has exited, and waits until it has. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

export const urlOf = (host: string, port: number) => `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

/** Starts a service's process on `host:port`; it serves as soon as it is ready (see `ready`). */
export const launchService = (name: ServiceName, options: LaunchOptions): LaunchedService =>
  launch(name, entryOf(name), envPrefix(name), options);

/** The live reconciler (scripts/reconciler.ts), started and stopped as a service is. */
export const launchReconciler = (options: LaunchOptions): LaunchedService =>
  launch("reconciler", path.join("scripts", "reconciler.ts"), "RECONCILER", options);

function launch(name: LaunchedService["name"], entry: string, prefix: string, options: LaunchOptions): LaunchedService {
  const host = options.host ?? "127.0.0.1";
  let out: number | undefined;
  if (typeof options.output === "object") {
    mkdirSync(path.dirname(options.output.file), { recursive: true });
    out = openSync(options.output.file, "a");
  }
  const stdio: StdioOptions =
    out !== undefined
      ? ["ignore", out, out]
      : options.output === "inherit-stderr"
        ? ["ignore", "ignore", "inherit"]
        : "ignore";
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), "--import", "tsx", entry], {
    cwd: options.root ?? ROOT,
    detached: options.detached ?? false,
    env: { ...options.env, [`${prefix}_HOST`]: host, [`${prefix}_PORT`]: String(options.port) },
    stdio,
  });
  if (out !== undefined) closeSync(out);
  if (options.detached) child.unref();
  const exited = once(child, "exit").then(([code, signal]) => ({ code, signal }) as Exit);
  const url = urlOf(host, options.port);
  return {
    name,
    url,
    pid: child.pid as number,
    child,
    exited,
    ready: (timeoutMs = 60_000) =>
      untilReady(url, name === "reconciler" ? name : `${name} service`, timeoutMs, () => child.exitCode !== null),
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Whether `url` answers its readiness probe with 200 now. */
export async function isReady(url: string, probe = "/health/ready"): Promise<boolean> {
  try {
    return (await fetch(`${url}${probe}`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

/**
 * Waits until `url` answers its readiness probe with 200, polling; fails naming `what` once
 * `timeoutMs` pass or `gone()` says the process it waits for exited.
 */
export async function untilReady(
  url: string,
  what: string,
  timeoutMs = 60_000,
  gone: () => boolean = () => false,
  probe = "/health/ready",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await isReady(url, probe)) return;
    if (gone()) throw new Error(`${what} exited before it was ready`);
    if (Date.now() > deadline) throw new Error(`${what} not ready at ${url} after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
