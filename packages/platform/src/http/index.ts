// @saga/platform/http: the Fastify base of a service: zod validation, one error shape, tokens,
// rate limits, the OpenAPI document and the health routes.
export { AppError, type FieldError, notFound } from "../errors.js";
export { authPlugin } from "./auth.js";
export { bearerSecurity, docsPlugin, OPERATIONS_TAG } from "./docs.js";
export { errorResponse } from "./error-handler.js";
export { healthRoutes, type ReadinessCheck } from "./health.js";
export { type Principal, STAFF_ROLE } from "./principal.js";
export { BODY_LIMIT_BYTES, createFastify } from "./server.js";
