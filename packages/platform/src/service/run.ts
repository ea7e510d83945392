import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import { clientIdOf, type ServiceConfig, type ServiceDefaults } from "../config/service.js";
import { createFastify } from "../http/server.js";
import { startTracing } from "../tracing/sdk.js";

interface ListenOptions {
  host: string;
  port: number;
  shutdownTimeoutMs: number;
}

/**
 * Process concerns: listen, then on SIGTERM/SIGINT stop taking requests, let plugins finish
 * their work in onClose (consumers commit, the outbox drains), and exit within a bound.
 */
async function serve(app: FastifyInstance, options: ListenOptions): Promise<void> {
  let closing = false;
  const shutdown = async (reason: NodeJS.Signals | "failure", code = 0) => {
    if (closing) return;
    closing = true;
    app.log.info({ reason }, "shutting down");
    const timer = setTimeout(() => {
      app.log.error("shutdown took too long; exiting");
      process.exit(1);
    }, options.shutdownTimeoutMs);
    timer.unref();
    try {
      await app.close();
      process.exit(code);
    } catch (err) {
      app.log.error({ err }, "shutdown failed");
      process.exit(1);
    }
  };
  // Node passes a signal's listener the signal's number too: not an exit code.
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  // A part that died for good (a consumer that cannot be restarted): exit 1, for the supervisor to restart the service.
  app.lifecycle?.onFail(() => void shutdown("failure", 1));
  await app.listen({ host: options.host, port: options.port });
}

/** Prints one clear line for a start-up failure, with no stack trace for known causes. */
function exitOnStartupError(service: string, err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${service}: cannot start: ${message}\n`);
  process.exit(1);
}

/** The whole of a service's server.ts: configuration, the app plugin, listen, graceful close. */
export async function runService<C extends ServiceConfig>(
  settings: { defaults: ServiceDefaults; loadConfig: () => C },
  plugin: FastifyPluginAsync<{ config: C }>,
): Promise<void> {
  const name = clientIdOf(settings.defaults.name);
  try {
    const config = settings.loadConfig();
    const stopTracing = await startTracing(name, config.tracing.enabled);
    const server = createFastify({ logger: { level: config.logLevel }, forceCloseConnections: true });
    server.addHook("onClose", stopTracing);
    await server.register(plugin, { config });
    await serve(server, { host: config.host, port: config.port, shutdownTimeoutMs: config.shutdownTimeoutMs });
  } catch (err) {
    exitOnStartupError(name, err);
  }
}
