import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { traceLogFields } from "../tracing/context.js";
import { errorHandlerPlugin, sendError } from "./error-handler.js";

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
