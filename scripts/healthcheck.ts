// The services' image health check: GET /health/live of the service this container runs (SERVICE,
// reservation or room) on its port; exit 0 when it answers 200. A container that runs no service
// (the migrate command) has nothing to check.
const service = process.env.SERVICE;
const ports: Record<string, number> = { reservation: 3000, room: 3001 };
if (!service) process.exit(0);
const port = Number(process.env[`${service.toUpperCase()}_PORT`] ?? ports[service]);
try {
  const res = await fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(2_000) });
  process.exit(res.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
