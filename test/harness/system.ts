import { randomBytes } from "node:crypto";
import { type ServiceName, type Topics, topicNames } from "@saga/contracts";
import { SERVICES } from "@saga/ops/services";
import type { ServiceConfig, ServiceSettings } from "@saga/platform/config";
import { envPrefix } from "@saga/platform/config";
import { createFastify } from "@saga/platform/http";
import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import { inject } from "vitest";
import { provisionKafkaFor, serviceDatabaseUrl, serviceKafkaEnv } from "./access.js";
import { type Databases, freshDatabases } from "./databases.js";
import { type ServiceProcess, spawnService } from "./processes.js";
import { waitFor } from "./wait.js";

/** A topic prefix of its own for each test, so no test sees another's messages or groups. */
export function uniquePrefix(label = "t"): string {
  return `${inject("infra").runId}-${label}-${randomBytes(4).toString("hex")}.`;
}

/**
 * The environment every service of a test's system gets, on the given databases: each service
 * logs in to them and to the broker as its own role and principal.
 */
export function testEnv(prefix: string, databases: Databases, overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const own = SERVICES.flatMap((service) => [
    [`${envPrefix(service)}_DATABASE_URL`, serviceDatabaseUrl(databases, service)],
    [`${envPrefix(service)}_PORT`, "0"],
  ]);
  return {
    KAFKA_BROKERS: inject("infra").brokers.join(","),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_PARTITIONS: "3",
    ...Object.fromEntries(own),
    ...serviceKafkaEnv(),
    LOG_LEVEL: "error",
    AUTH_JWT_SECRET: inject("infra").authSecret,
    ...overrides,
  };
}

/** A service's package: its app plugin and its own settings (the platform's, and what it adds). */
async function serviceModule(service: ServiceName) {
  const [{ default: app }, { settings }] = await Promise.all([
    import(`@saga/${service}`) as Promise<{ default: FastifyPluginAsync<{ config: ServiceConfig }> }>,
    import(`@saga/${service}/config`) as Promise<{ settings: ServiceSettings }>,
  ]);
  return { app, settings };
}

/** One service as a Fastify app in this process, on `env`, once ready to serve. */
export async function startApp(service: ServiceName, env: NodeJS.ProcessEnv): Promise<FastifyInstance> {
  const { app: plugin, settings } = await serviceModule(service);
  const config = settings.loadConfig(env);
  const app = createFastify({ logger: { level: config.logLevel } });
  await app.register(plugin, { config });
  await app.ready();
  return app;
}

async function waitUntilReady(app: FastifyInstance): Promise<void> {
  await waitFor(
    () => app.inject({ method: "GET", url: "/health/ready" }),
    (res) => res.statusCode === 200,
    { what: "readiness", timeoutMs: 60_000 },
  );
}

export interface SystemOptions {
  /** Settings for every service, or made from the system's databases (to reach one through a proxy, say). */
  env?: NodeJS.ProcessEnv | ((databases: Databases) => NodeJS.ProcessEnv);
  /** A word in the topic prefix, to tell the system's topics apart on the broker. */
  label?: string;
}

/** What every system of a test has: databases, topics and groups of its own, provisioned as the stack does. */
interface Base {
  prefix: string;
  /** This system's own databases (each service's, as a superuser), dropped when it stops. */
  databases: Databases;
  env: NodeJS.ProcessEnv;
  topics: Topics;
}

async function prepare(options: SystemOptions): Promise<Base & { drop(): Promise<void> }> {
  const own = await freshDatabases();
  const overrides = typeof options.env === "function" ? options.env(own.urls) : options.env;
  const prefix = uniquePrefix(options.label);
  const env = testEnv(prefix, own.urls, overrides);
  try {
    // Once for the system: every instance of every service uses the same topics and groups.
    await provisionKafkaFor(env);
  } catch (err) {
    await own.drop();
    throw err;
  }
  return { prefix, databases: own.urls, env, topics: topicNames(prefix), drop: own.drop };
}

/**
 * Every service as a Fastify app in the test's process (reached with `app.inject`, their decorators
 * at hand): `system.reservation`, `system.room`, …, and every instance of each in `instances`.
 */
export type AppSystem = Base & { [S in ServiceName]: FastifyInstance } & {
  instances: Record<ServiceName, FastifyInstance[]>;
  close(): Promise<void>;
};

/**
 * Every service as its own process over real HTTP, as in production: each can be killed (any
 * signal) and started again, on the same databases and topics.
 */
export class ProcessSystem implements Base {
  readonly services = new Map<ServiceName, ServiceProcess>();
  readonly prefix: string;
  readonly databases: Databases;
  readonly env: NodeJS.ProcessEnv;
  readonly topics: Topics;
  constructor(
    base: Base,
    private readonly drop: () => Promise<void>,
  ) {
    this.prefix = base.prefix;
    this.databases = base.databases;
    this.env = base.env;
    this.topics = base.topics;
  }

  /**
   * Starts a service (of this build, or of another's checkout: `build`); requests go to it as soon
   * as it is spawned, and this resolves once it is ready. A service started again (after a kill)
   * listens where it did before, as a supervisor restarts it.
   */
  async start(name: ServiceName, env: NodeJS.ProcessEnv = {}, build?: { root: string }): Promise<ServiceProcess> {
    const before = this.services.get(name);
    const gone = before && (before.child.exitCode !== null || before.child.signalCode !== null);
    const port = before && gone ? Number(new URL(before.url).port) : undefined;
    const root = build?.root;
    const logName = root ? `${name}-previous` : undefined;
    // The reservation service reads the room service's HTTP API (change quotes).
    const room = name === "reservation" && this.services.has("room") ? { ROOM_SERVICE_URL: this.url("room") } : {};
    const service = await spawnService(
      name,
      { ...this.env, ...room, ...env },
      { waitReady: false, port, root, logName },
    );
    this.services.set(name, service);
    await service.ready();
    return service;
  }

  service(name: ServiceName): ServiceProcess {
    const service = this.services.get(name);
    if (!service) throw new Error(`${name} is not running`);
    return service;
  }

  url(name: ServiceName): string {
    return this.service(name).url;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.services.values()].map((s) => s.kill("SIGTERM")));
    await this.drop();
  }
}

/**
 * The one way a test starts a system: every service, on databases, topics and consumer groups of
 * its own, the services logged in as themselves. In the test's process by default (`instances` of
 * each service, all in one consumer group per service); with `processes`, as processes started in
 * the order `start` gives (the launcher's by default). Stop it with `close()` / `stop()`.
 */
export function startSystem(options?: SystemOptions & { instances?: number }): Promise<AppSystem>;
export function startSystem(
  options: SystemOptions & { processes: true; start?: ServiceName[] },
): Promise<ProcessSystem>;
export async function startSystem(
  options: SystemOptions & { instances?: number; processes?: true; start?: ServiceName[] } = {},
): Promise<AppSystem | ProcessSystem> {
  const base = await prepare({ label: options.processes ? "processes" : undefined, ...options });
  return options.processes ? startProcesses(base, options.start ?? SERVICES) : startApps(base, options.instances ?? 1);
}

async function startProcesses(base: Base & { drop(): Promise<void> }, order: readonly ServiceName[]) {
  const system = new ProcessSystem({ ...base, env: { SHUTDOWN_TIMEOUT_MS: "10000", ...base.env } }, base.drop);
  try {
    for (const name of order) await system.start(name);
  } catch (err) {
    await system.stop();
    throw err;
  }
  return system;
}

async function startApps(base: Base & { drop(): Promise<void> }, count: number): Promise<AppSystem> {
  const instances = Object.fromEntries(SERVICES.map((s) => [s, [] as FastifyInstance[]])) as AppSystem["instances"];
  const all = () => Object.values(instances).flat();
  const close = async () => {
    await Promise.all(all().map((app) => app.close()));
    await base.drop();
  };
  try {
    // The reservation service reads the room service's HTTP API (change quotes): the first room instance listens.
    const env = { ...base.env };
    for (let i = 0; i < count; i++) {
      for (const service of SERVICES) {
        const app = await startApp(service, env);
        instances[service].push(app);
        if (service === "room" && i === 0) env.ROOM_SERVICE_URL = await app.listen({ host: "127.0.0.1", port: 0 });
      }
    }
    await Promise.all(all().map(waitUntilReady));
  } catch (err) {
    await close();
    throw err;
  }
  const first = Object.fromEntries(SERVICES.map((s) => [s, instances[s][0]])) as Record<ServiceName, FastifyInstance>;
  const { drop: _, ...rest } = base;
  return { ...rest, ...first, instances, close };
}
