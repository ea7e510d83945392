import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { z } from "zod";
import { AppError, DependencyUnavailableError, type FieldError } from "../errors.js";
import { isConnectionError } from "../sql/database-errors.js";

/** The one error shape of both services' HTTP APIs. */
export const errorResponse = z
  .object({
    statusCode: z.number().int(),
    code: z.string(),
    message: z.string(),
    /** Each offending field as `<part>.<path>` (`body.checkIn`, `params.id`); empty when no field is at fault. */
    fields: z.array(z.object({ field: z.string(), message: z.string() })),
  })
  .meta({
    id: "Error",
    description: "The one error body of every 4xx and 5xx answer",
    examples: [
      {
        statusCode: 400,
        code: "VALIDATION_FAILED",
        message: "body.roomId: must be a UUID; body.checkIn: must be a real calendar date in the form YYYY-MM-DD",
        fields: [
          { field: "body.roomId", message: "must be a UUID" },
          { field: "body.checkIn", message: "must be a real calendar date in the form YYYY-MM-DD" },
        ],
      },
    ],
  });
type ErrorResponse = z.infer<typeof errorResponse>;

/** The request parts in the order Fastify validates them, each with the request property that holds it. */
const requestParts = [
  ["params", "params"],
  ["body", "body"],
  ["querystring", "query"],
  ["headers", "headers"],
] as const;

function issueFields(part: string, issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.flatMap((issue) => {
    const path = [part, ...issue.path.map(String)];
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ field: [...path, key].join("."), message: "is not allowed" }));
    }
    return [{ field: path.join("."), message: issue.message }];
  });
}

/**
 * Fastify stops at the first invalid part, so that part and the ones it did not reach are checked
 * again: the client hears of every offending field at once. Earlier parts passed and now hold
 * parsed values, so they are not checked twice.
 */
function validationFields(error: FastifyError, request: FastifyRequest): FieldError[] {
  const failed = requestParts.findIndex(([part]) => part === error.validationContext);
  const fields = requestParts.slice(Math.max(failed, 0)).flatMap(([part, property]) => {
    const schema = request.routeOptions.schema?.[part];
    if (!(schema instanceof z.core.$ZodType)) return [];
    const result = z.safeParse(schema, request[property]);
    return result.success ? [] : issueFields(part, result.error.issues);
  });
  return fields.length > 0 ? fields : [{ field: error.validationContext ?? "request", message: error.message }];
}

const invalidInput = (code: string, field: string, message: string): ErrorResponse => ({
  statusCode: 400,
  code,
  message: `${field}: ${message}`,
  fields: [{ field, message }],
});

function toResponse(error: FastifyError, request: FastifyRequest): ErrorResponse {
  if (error instanceof AppError) {
    return { statusCode: error.statusCode, code: error.code, message: error.message, fields: error.fields ?? [] };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const fields = validationFields(error, request);
    const message = fields.map((f) => `${f.field}: ${f.message}`).join("; ");
    return { statusCode: 400, code: "VALIDATION_FAILED", message, fields };
  }
  if (error instanceof DependencyUnavailableError || isConnectionError(error)) {
    return { statusCode: 503, code: "SERVICE_UNAVAILABLE", message: error.message, fields: [] };
  }
  const statusCode = error.statusCode ?? 500;
  // Body parsing: not JSON, empty, too large (413), a content type other than JSON (415).
  if (statusCode < 500 && error.code?.startsWith("FST_ERR_CTP_")) {
    return invalidInput("INVALID_BODY", "body", error.message);
  }
  // Answered before routing: a malformed percent-encoding, or a path parameter too long to be any id (414).
  if (error.code === "FST_ERR_BAD_URL" || error.code === "FST_ERR_MAX_PARAM_LENGTH") {
    return invalidInput("INVALID_URL", "url", error.message);
  }
  if (statusCode < 500) {
    return { statusCode, code: error.code ?? "BAD_REQUEST", message: error.message, fields: [] };
  }
  return { statusCode: 500, code: "INTERNAL_ERROR", message: error.message, fields: [] };
}

/** From 500 up the client learns only that it may retry or not: details stay in the log. */
function withoutDetails(response: ErrorResponse): ErrorResponse {
  const message =
    response.statusCode === 503
      ? "Service temporarily unavailable: a dependency (database or broker) is unreachable; retry later"
      : "Internal server error";
  return { ...response, message, fields: [] };
}

/** Answers any error in the shared shape; also Fastify's `frameworkErrors` for errors raised before routing. */
export function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const response = toResponse(error, request);
  if (response.statusCode >= 500) {
    request.log.error({ err: error }, "request failed");
    return reply.status(response.statusCode).send(withoutDetails(response));
  }
  request.log.info({ code: response.code, fields: response.fields }, response.message);
  if (error instanceof AppError && error.headers) reply.headers(error.headers);
  return reply.status(response.statusCode).send(response);
}

export const errorHandlerPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler(sendError);
    app.setNotFoundHandler((request, reply) => {
      const message = `Route ${request.method} ${request.url} not found`;
      return reply
        .status(404)
        .send({ statusCode: 404, code: "NOT_FOUND", message, fields: [] } satisfies ErrorResponse);
    });
  },
  { name: "error-handler" },
);
