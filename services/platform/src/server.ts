import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { ServiceConfig } from "./config.js";
import { errorHandlerPlugin, sendError } from "./error-handler.js";
import { traceLogFields } from "./tracing/context.js";
import { startTracing } from "./tracing/sdk.js";

export const BODY_LIMIT_BYTES = 16 * 1024;

/** A Fastify instance with zod validation and the shared error shape. */
export function createFastify(options: FastifyServerOptions = {}): FastifyInstance {
  // Each log line written within a request's or a message's span names its trace.
  const logger = typeof options.logger === "object" ? { mixin: traceLogFields, ...options.logger } : options.logger;
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: 10_000,
    pluginTimeout: 60_000,
    // Bad URLs are refused before routing, where the error handler does not see them.
    frameworkErrors: sendError,
    ...options,
    logger,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // The APIs take JSON only; a text/plain body is refused (415, answered as 400) rather than parsed as a string.
  app.removeContentTypeParser("text/plain");
  app.register(errorHandlerPlugin);
  return app;
}

export interface ListenOptions {
  host: string;
  port: number;
  shutdownTimeoutMs: number;
}

/**
 * Process concerns: listen, then on SIGTERM/SIGINT stop taking requests, let plugins finish
 * their work in onClose (consumers commit, the outbox drains), and exit within a bound.
 */
export async function serve(app: FastifyInstance, options: ListenOptions): Promise<void> {
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
export function exitOnStartupError(service: string, err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${service}: cannot start: ${message}\n`);
  process.exit(1);
}

/** The whole of a service's server.ts: configuration, the app plugin, listen, graceful close. */
export async function runService<C extends ServiceConfig>(
  name: string,
  plugin: FastifyPluginAsync<{ config: C }>,
  loadConfig: () => C,
): Promise<void> {
  try {
    const config = loadConfig();
    const stopTracing = await startTracing(name, config.tracing.enabled);
    const server = createFastify({ logger: { level: config.logLevel }, forceCloseConnections: true });
    server.addHook("onClose", stopTracing);
    await server.register(plugin, { config });
    await serve(server, { host: config.host, port: config.port, shutdownTimeoutMs: config.shutdownTimeoutMs });
  } catch (err) {
    exitOnStartupError(name, err);
  }
}
