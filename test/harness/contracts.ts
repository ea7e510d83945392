// Validators made from the published documents themselves (docs/openapi/*.json, docs/asyncapi.yaml),
// with Ajv, so a test checks what the services do against what the contracts say, not against
// the zod schemas the documents were made from.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { ServiceName, TopicKey } from "@saga/contracts";
import { ROOT } from "@saga/ops/local";
import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parse } from "yaml";

export const ASYNCAPI_PATH = path.join(ROOT, "docs", "asyncapi.yaml");

type Schema = Record<string, unknown>;
interface AsyncApiMessage {
  payload: Schema;
  headers: { $ref: string };
  examples?: { name: string; payload: unknown; headers: Record<string, string> }[];
}
export interface AsyncApiDocument {
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>;
  operations: Record<string, { action: "send" | "receive"; channel: { $ref: string }; tags: { name: string }[] }>;
  components: { messages: Record<string, AsyncApiMessage>; schemas: Record<string, Schema> };
}

export const readAsyncApi = (): AsyncApiDocument => parse(readFileSync(ASYNCAPI_PATH, "utf8"));

const describe = (validate: ValidateFunction) =>
  (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");

/** A check of one value against one schema: undefined when it validates, else what is wrong. */
export type Check = (value: unknown) => string | undefined;
const check =
  (validate: ValidateFunction): Check =>
  (value) =>
    validate(value) ? undefined : describe(validate);

/** The payload and header checks of each channel's message, from docs/asyncapi.yaml. */
export function asyncApiChecks(doc = readAsyncApi()): Record<TopicKey, { payload: Check; headers: Check }> {
  const ajv = addFormats.default(new Ajv({ strict: true, allErrors: true }));
  return Object.fromEntries(
    Object.entries(doc.components.messages).map(([topic, message]) => {
      const headers = doc.components.schemas[message.headers.$ref.split("/").pop() as string];
      return [topic, { payload: check(ajv.compile(message.payload)), headers: check(ajv.compile(headers as Schema)) }];
    }),
  ) as Record<TopicKey, { payload: Check; headers: Check }>;
}

export interface OpenApiOperation {
  operationId: string;
  parameters?: { in: string; name: string; required?: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, Schema> };
}

export const readOpenApi = (service: ServiceName): OpenApiDocument =>
  JSON.parse(readFileSync(path.join(ROOT, "docs", "openapi", `${service}.json`), "utf8"));

/**
 * Checks of an operation's response bodies, by status, from an OpenAPI 3.1 document (its schemas
 * are JSON Schema 2020-12, with `#/components/schemas/…` references resolved within the document).
 */
export function openApiResponseChecks(doc: OpenApiDocument) {
  const ajv = addFormats.default(new Ajv2020({ strict: false, allErrors: true }));
  ajv.addSchema({ $id: "openapi", components: doc.components });
  const rebase = (schema: Schema): Schema =>
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'));
  const cache = new Map<string, Check>();
  return (operation: OpenApiOperation, status: number): Check | "unlisted" => {
    const response = operation.responses[String(status)];
    if (!response) return "unlisted";
    const schema = response.content?.["application/json"]?.schema;
    if (!schema) return () => undefined;
    const key = `${operation.operationId} ${status}`;
    let found = cache.get(key);
    if (!found) {
      found = check(ajv.compile(rebase(schema)));
      cache.set(key, found);
    }
    return found;
  };
}
