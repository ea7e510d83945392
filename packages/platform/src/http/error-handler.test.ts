import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError, DependencyUnavailableError } from "../errors.js";
import { createFastify } from "./server.js";

const UNAVAILABLE = "Service temporarily unavailable: a dependency (database or broker) is unreachable; retry later";

describe("the error handler, from 500 up", () => {
  const secret = "postgresql://admin:hunter2@db.internal:5432/hotel";
  const app = createFastify();
  app.get("/dependency-down", async () => {
    throw new DependencyUnavailableError(`PostgreSQL is not reachable at ${secret}`);
  });
  app.get("/database-refused", async () => {
    throw Object.assign(new Error(`connect ECONNREFUSED ${secret}`), { code: "ECONNREFUSED" });
  });
  app.get("/bug", async () => {
    throw new TypeError(`cannot read ${secret}`);
  });
  app.get("/app-error", async () => {
    throw new AppError(502, "UPSTREAM_FAILED", `upstream ${secret} failed`, [{ field: "body", message: secret }]);
  });
  beforeAll(() => app.ready());
  afterAll(() => app.close());

  it.each([
    ["/dependency-down", 503, "SERVICE_UNAVAILABLE", UNAVAILABLE],
    ["/database-refused", 503, "SERVICE_UNAVAILABLE", UNAVAILABLE],
    ["/bug", 500, "INTERNAL_ERROR", "Internal server error"],
    ["/app-error", 502, "UPSTREAM_FAILED", "Internal server error"],
  ])(
    "when %s fails, then the client gets %i %s with a generic message and no details",
    async (url, statusCode, code, message) => {
      const res = await app.inject({ method: "GET", url });

      expect(res.statusCode).toBe(statusCode);
      expect(res.json()).toEqual({ statusCode, code, message, fields: [] });
      expect(res.body).not.toContain("hunter2");
    },
  );
});
