import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { freePortPair, ROOT } from "./infrastructure.js";
import { waitFor } from "./wait.js";

export type ServiceName = "reservation" | "room";

/** A service running as its own process, as in production, reached over real HTTP. */
export interface ServiceProcess {
  name: ServiceName;
  url: string;
  /** Where its stdout and stderr go (JSON log lines, at LOG_LEVEL warn). */
  logFile: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const ENTRY: Record<ServiceName, string> = {
  reservation: "services/reservation/src/server.ts",
  room: "services/room/src/server.ts",
};

export async function spawnService(
  name: ServiceName,
  env: NodeJS.ProcessEnv,
  options: { waitReady?: boolean; logName?: string } = {},
): Promise<ServiceProcess> {
  const port = await freePortPair();
  const prefix = name === "reservation" ? "RESERVATION" : "ROOM";
  const logDir = path.join(ROOT, ".data", "test-logs");
  await mkdir(logDir, { recursive: true });
  const logFile = path.join(logDir, `${options.logName ?? name}-${port}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY[name]], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...env,
      [`${prefix}_HOST`]: "127.0.0.1",
      [`${prefix}_PORT`]: String(port),
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = once(child, "exit").then(
    ([code, signal]) => ({ code, signal }) as { code: number | null; signal: NodeJS.Signals | null },
  );
  const service: ServiceProcess = {
    name,
    url: `http://127.0.0.1:${port}`,
    logFile,
    child,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  if (options.waitReady !== false) await waitReady(service);
  return service;
}

export async function waitReady(service: ServiceProcess, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      if (service.child.exitCode !== null) throw new Error(`${service.name} exited with ${service.child.exitCode}`);
      return (await fetch(`${service.url}/health/ready`)).status;
    },
    (status) => status === 200,
    { what: `${service.name} readiness`, timeoutMs, intervalMs: 100 },
  );
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
