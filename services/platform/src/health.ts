import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";

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

const readiness = z.object({
  status: z.enum(["ready", "not_ready"]),
  checks: z.record(z.string(), z.boolean()),
});

/** `GET /health/live` answers while the process runs; `/health/ready` only when every check passes. */
export const healthRoutes = fp<{ checks: Record<string, ReadinessCheck> }>(
  async (app: FastifyInstance, { checks }) => {
    const api = app.withTypeProvider<ZodTypeProvider>();
    api.get("/health/live", { schema: { response: { 200: z.object({ status: z.literal("ok") }) } } }, async () => ({
      status: "ok" as const,
    }));
    api.get("/health/ready", { schema: { response: { 200: readiness, 503: readiness } } }, async (_request, reply) => {
      const names = Object.keys(checks);
      const results = await Promise.all(names.map((name) => run(checks[name] as ReadinessCheck)));
      const report = Object.fromEntries(names.map((name, i) => [name, results[i] ?? false]));
      const ready = results.every(Boolean);
      return reply.status(ready ? 200 : 503).send({ status: ready ? "ready" : "not_ready", checks: report });
    });
  },
  { name: "health-routes" },
);
