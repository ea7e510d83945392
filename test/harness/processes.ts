import path from "node:path";
import type { ServiceName } from "@saga/contracts";
import { type Exit, type LaunchedService, launchService } from "@saga/ops/launch";
import { ROOT } from "@saga/ops/local";
import { freePortPair } from "@saga/ops/ports";

/** A service running as its own process, as in production, reached over real HTTP. */
export interface ServiceProcess extends LaunchedService {
  /** Where its stdout and stderr go (JSON log lines, at LOG_LEVEL warn). */
  logFile: string;
  /** Sends `signal` and waits for the process to exit. */
  kill(signal: NodeJS.Signals): Promise<Exit>;
}

/** Starts a service's process through the launcher, on a free port (or `port`), logging to .data/test-logs/. */
export async function spawnService(
  name: ServiceName,
  env: NodeJS.ProcessEnv,
  options: { waitReady?: boolean; logName?: string; port?: number; root?: string } = {},
): Promise<ServiceProcess> {
  const port = options.port ?? (await freePortPair());
  const logFile = path.join(ROOT, ".data", "test-logs", `${options.logName ?? name}-${port}.log`);
  const launched = launchService(name, {
    env: { ...process.env, ...env, LOG_LEVEL: "warn" },
    port,
    output: { file: logFile },
    root: options.root,
  });
  const service: ServiceProcess = { ...launched, logFile, kill: (signal) => launched.stop(signal) };
  if (options.waitReady !== false) await service.ready();
  return service;
}

export async function http<T = unknown>(url: string, init: RequestInit & { json?: unknown } = {}) {
  const { json, ...rest } = init;
  const res = await fetch(url, {
    ...rest,
    headers: json === undefined ? rest.headers : { "content-type": "application/json", ...rest.headers },
    body: json === undefined ? rest.body : JSON.stringify(json),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}
