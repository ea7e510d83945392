import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { OPERATIONS_TAG } from "./docs.js";

/** Passes when it resolves to anything but `false`; fails when it rejects or times out. */
export type ReadinessCheck = () => Promise<unknown>;

const CHECK_TIMEOUT_MS = 2_000;

async function run(check: ReadinessCheck): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    const passed = check().then(
      (value) => value !== false,
      () => false,
    );
    return await Promise.race([passed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const report = z.object({
  status: z.enum(["ok", "failed", "ready", "not_ready"]),
  checks: z.record(z.string(), z.boolean()),
});

/** Every check at once: whether all passed, and each one's result by name. */
export async function runChecks(checks: Record<string, ReadinessCheck>) {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => run(checks[name] as ReadinessCheck)));
  return {
    passed: results.every(Boolean),
    checks: Object.fromEntries(names.map((name, i) => [name, results[i] ?? false])),
  };
}

/**
 * `GET /health/live` answers 200 while the process can do its work (503 once a part of it died and
 * is not coming back by itself: restart it); `/health/ready` 200 only when every dependency answers.
 */
export const healthRoutes = fp<{ liveness: Record<string, ReadinessCheck>; readiness: Record<string, ReadinessCheck> }>(
  async (app: FastifyInstance, { liveness, readiness }) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    // Probes come often and carry no token: never rate limited.
    const open = { rateLimit: false as const };
    api.get(
      "/health/live",
      {
        config: open,
        schema: {
          tags: [OPERATIONS_TAG],
          operationId: "live",
          summary: "Liveness: 503 once a part of the service died for good (restart it)",
          response: { 200: report, 503: report },
        },
      },
      async (_request, reply) => {
        const { passed, checks } = await runChecks(liveness);
        return reply.status(passed ? 200 : 503).send({ status: passed ? "ok" : "failed", checks });
      },
    );
    api.get(
      "/health/ready",
      {
        config: open,
        schema: {
          tags: [OPERATIONS_TAG],
          operationId: "ready",
          summary: "Readiness: 200 only when the database and Kafka answer",
          response: { 200: report, 503: report },
        },
      },
      async (_request, reply) => {
        const { passed, checks } = await runChecks(readiness);
        return reply.status(passed ? 200 : 503).send({ status: passed ? "ready" : "not_ready", checks });
      },
    );
  },
  { name: "health-routes" },
);
