// Run by the production image as its health check: GET /health/live of the service this container
// runs (SERVICE: a name in FLOWS) on its port, or on HEALTHCHECK_PORT (the reconciler); exit 0 when
// it answers 200. A container that runs neither (the migrate command) has nothing to check.
import { FLOWS, type ServiceName } from "@saga/contracts";

const service = process.env.SERVICE as ServiceName | undefined;
const given = process.env.HEALTHCHECK_PORT;
if (!service && !given) process.exit(0);
const port = Number(given ?? process.env[`${service?.toUpperCase()}_PORT`] ?? FLOWS[service as ServiceName]?.port);
try {
  const res = await fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(2_000) });
  process.exit(res.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
