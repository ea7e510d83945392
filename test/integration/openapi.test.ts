import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ROOT } from "@saga/ops/local";
import { SERVICES } from "@saga/ops/services";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppSystem, startSystem } from "../harness/index.js";

/** `pnpm docs:generate` runs this file with DOCS_WRITE=1: it writes the documents instead of comparing. */
const WRITE = process.env.DOCS_WRITE === "1";
const committed = (service: string) => path.join(ROOT, "docs", "openapi", `${service}.json`);

interface Operation {
  operationId?: string;
  tags?: string[];
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: object } };

describe("the published OpenAPI documents", () => {
  let system: AppSystem;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(() => system?.close());

  for (const service of SERVICES) {
    it(`when the ${service} service runs, then /docs/json is the committed docs/openapi/${service}.json and /docs shows it`, async () => {
      const app = system[service];
      const served = (await app.inject({ method: "GET", url: "/docs/json" })).json() as Document;
      const text = `${JSON.stringify(served, null, 2)}\n`;
      if (WRITE) await writeFile(committed(service), text);

      expect(text, "run `pnpm docs:generate` and commit docs/openapi/").toBe(
        await readFile(committed(service), "utf8"),
      );
      expect(served.openapi).toBe("3.1.0");
      const routes = app.printRoutes({ commonPrefix: false });
      const operations = Object.entries(served.paths).flatMap(([url, methods]) =>
        Object.entries(methods).map(([method, op]) => ({ url, method, ...op })),
      );
      for (const op of operations) {
        expect(op.operationId, `${op.method} ${op.url}`).toMatch(/^[a-z][A-Za-z]+$/);
        expect(op.tags?.length, `${op.method} ${op.url}`).toBe(1);
        // Every error answer of the API is the one shared Error component (a probe's 503 is its report).
        const errors =
          op.tags?.[0] === "operations" ? [] : Object.entries(op.responses).filter(([s]) => Number(s) >= 400);
        for (const [status, response] of errors) {
          expect(response.content?.["application/json"]?.schema.$ref, `${op.url} ${status}`).toBe(
            "#/components/schemas/Error",
          );
        }
      }
      expect(new Set(operations.map((o) => o.operationId)).size).toBe(operations.length);
      expect(
        operations
          .filter((o) => o.tags?.[0] === "operations")
          .map((o) => o.url)
          .sort(),
      ).toEqual(["/health/live", "/health/ready", "/metrics"]);
      expect(routes).toContain("docs");
      const explorer = await app.inject({ method: "GET", url: "/docs/" });
      expect(explorer.statusCode).toBe(200);
      expect(explorer.headers["content-type"]).toContain("text/html");
      const initializer = await app.inject({ method: "GET", url: "/docs/static/swagger-initializer.js" });
      expect(initializer.body).toContain("resolveUrl('./json')");
    });
  }

  it("when a route needs a token, then the document says so with the bearer scheme, and its 401 and 403 are listed", async () => {
    const doc = (await system.reservation.inject({ method: "GET", url: "/docs/json" })).json() as Document & {
      components: { securitySchemes: Record<string, { scheme: string }> };
    };
    const book = doc.paths["/reservations"]?.post as Operation;

    expect(doc.components.securitySchemes.bearer?.scheme).toBe("bearer");
    expect(book.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(book.responses)).toEqual(
      expect.arrayContaining(["202", "400", "401", "403", "404", "409", "429", "503"]),
    );
  });
});
