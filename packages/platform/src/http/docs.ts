import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";

export interface DocsOptions {
  title: string;
  description: string;
  version: string;
  /** Where the local stack serves it (the document names no deployment of its own). */
  localUrl: string;
}

/** What a route's schema says when it needs a token: the bearer scheme of the document. */
export const bearerSecurity = { security: [{ bearer: [] }] };

/** The tag of the routes that are for operators and probes, not for guests. */
export const OPERATIONS_TAG = "operations";

type OpenApiObject = ReturnType<typeof jsonSchemaTransformObject>;

/**
 * The document without the component schemas nothing refers to: the zod transform emits each named
 * schema twice, as read (`ErrorInput`) and as written (`Error`), and a response uses only one.
 */
function withoutUnusedSchemas(document: OpenApiObject): OpenApiObject {
  const schemas = "components" in document ? document.components?.schemas : undefined;
  if (!schemas) return document;
  const refersTo = JSON.stringify(document, (_key, value) => (value === schemas ? undefined : value));
  for (const name of Object.keys(schemas)) {
    if (!refersTo.includes(`"#/components/schemas/${name}"`)) delete schemas[name];
  }
  return document;
}

/**
 * The service's OpenAPI 3.1 document at `GET /docs/json`, generated from the same zod schemas that
 * validate each route, and an explorer at `GET /docs`. Registered before any route, so it sees all.
 */
export const docsPlugin = fp<DocsOptions>(
  async (app: FastifyInstance, { title, description, version, localUrl }) => {
    await app.register(swagger, {
      openapi: {
        openapi: "3.1.0",
        info: { title, description, version },
        servers: [{ url: localUrl, description: "The local stack (`npm start`)" }],
        components: {
          securitySchemes: {
            bearer: {
              type: "http",
              scheme: "bearer",
              bearerFormat: "JWT",
              description: "A guest's or staff's token (`pnpm token guest <id>` on the local stack)",
            },
          },
        },
        tags: [{ name: OPERATIONS_TAG, description: "Health probes and metrics, for operators" }],
      },
      // An operation that names no security scheme says so: `security: []`, open to anyone.
      transform: (input) => {
        const { schema, url } = jsonSchemaTransform(input);
        return { schema: { security: [], ...schema }, url };
      },
      transformObject: (input) => withoutUnusedSchemas(jsonSchemaTransformObject(input)),
    });
    await app.register(swaggerUi, { routePrefix: "/docs" });
  },
  { name: "docs" },
);
