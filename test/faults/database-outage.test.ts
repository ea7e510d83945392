import { afterEach, describe, expect, inject, it } from "vitest";
import "../harness/fault-meta.js";
import {
  asStaff,
  burstUnderway,
  expectNothingLost,
  faultReport,
  http,
  type ProcessSystem,
  startSystem,
  startTcpProxy,
  type TcpProxy,
  waitAllFinal,
  waitFor,
} from "../harness/index.js";

/** The same database URL, reached through a proxy that the test can cut. */
function throughProxy(databaseUrl: string, proxy: TcpProxy): string {
  const url = new URL(databaseUrl);
  url.port = String(proxy.port);
  url.hostname = "127.0.0.1";
  return url.toString();
}

const readiness = async (url: string) => (await fetch(`${url}/health/ready`)).status;

describe("a service's database unreachable for a while", () => {
  let proxy: TcpProxy | undefined;
  let system: ProcessSystem | undefined;
  afterEach(async () => {
    await system?.stop();
    await proxy?.close();
  });

  for (const victim of ["reservation", "room", "payment"] as const) {
    it(`when the ${victim} database is cut, then the ${victim} service answers 503 and not ready, and resumes on its own`, async ({
      task,
    }) => {
      const variable = `${victim.toUpperCase()}_DATABASE_URL`;
      const server = new URL(inject("infra").templates.room);
      const cuttable = await startTcpProxy(server.hostname, Number(server.port || 5432));
      proxy = cuttable;
      system = await startSystem({
        processes: true,
        env: (databases) => ({
          [variable]: throughProxy(databases[victim], cuttable),
        }),
      });
      const { rooms, load } = await burstUnderway(system, 200, 20, 30);

      proxy.cut();
      const url = system.url(victim);
      await waitFor(
        () => readiness(url),
        (status) => status === 503,
        { what: `${victim} not ready` },
      );
      const anId = "00000000-0000-4000-8000-000000000000";
      const refused = {
        reservation: () => http<{ code: string }>(`${url}/reservations/${anId}`, { headers: asStaff() }),
        room: () =>
          http<{ code: string }>(`${url}/rooms`, {
            method: "POST",
            json: { name: "During outage", units: 1 },
            headers: asStaff(),
          }),
        payment: () => http<{ code: string }>(`${url}/payments/${anId}`, { headers: asStaff() }),
      }[victim]();
      const answer = await refused;
      expect(answer.status).toBe(503);
      expect(answer.body.code).toBe("SERVICE_UNAVAILABLE");

      proxy.restore();
      await waitFor(
        () => readiness(url),
        (status) => status === 200,
        { what: `${victim} ready again`, timeoutMs: 60_000 },
      );
      await load.done;
      await waitAllFinal(system, load.accepted, 180_000);

      const report = await faultReport(system, `${victim} database cut and restored`, load, rooms);
      task.meta.fault = report;
      expectNothingLost(report);
    });
  }
});
