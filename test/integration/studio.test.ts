import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { asRole } from "@saga/ops/databases";
import { ROOT } from "@saga/ops/local";
import { freePortPair } from "@saga/ops/ports";
import { SERVICES, settingsOf } from "@saga/ops/services";
import { afterEach, describe, expect, inject, it } from "vitest";
import { queryRows, waitFor } from "../harness/index.js";

/** Asks Studio's backend (what its page calls) to run one read, as the page does. */
async function studioQuery(port: number, sql: string): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}/bff`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ procedure: "query", query: { sql, parameters: [] } }),
  });
  return res.json();
}

describe("Prisma Studio", () => {
  let studio: ChildProcess | undefined;
  afterEach(async () => {
    if (studio && studio.exitCode === null) {
      studio.kill("SIGTERM");
      await once(studio, "exit");
    }
  });

  it.each(SERVICES)(
    "when Studio opens the %s database, then it is the one the service's own configuration names",
    async (service) => {
      const { default: studioConfig } = await import(`../../prisma/${service}/prisma.config.ts`);

      expect(studioConfig.datasource.url).toBe(settingsOf(service).databaseUrl(process.env));
    },
  );

  it("when it is started for the room service, then it opens the database ROOM_DATABASE_URL names, as the operators' role, and reads its tables", async () => {
    const { databases, databaseRoles } = inject("infra");
    const roomDatabaseUrl = databases.room;
    const name = `Studio room ${Date.now()}`;
    await queryRows(roomDatabaseUrl, `INSERT INTO rooms (id, name, units) VALUES (gen_random_uuid(), $1, 2)`, [name]);
    const port = await freePortPair();
    studio = spawn(
      process.execPath,
      ["scripts/prisma.mjs", "studio", "room", "--port", String(port), "--browser", "none"],
      {
        cwd: ROOT,
        env: { ...process.env, ROOM_DATABASE_URL: asRole(roomDatabaseUrl, databaseRoles.room.operator) },
        stdio: "ignore",
      },
    );

    const answer = await waitFor(
      () =>
        studioQuery(port, `SELECT name, units, current_user AS "user" FROM rooms WHERE name = '${name}'`).catch(
          () => null,
        ),
      (body) => Array.isArray(body),
      { what: "Studio to answer on its backend", timeoutMs: 60_000 },
    );

    expect(answer).toEqual([null, [{ name, units: 2, user: databaseRoles.room.operator.name }]]);
    // The operators' role reads; a change through Studio is refused by the server (42501).
    const refused = await studioQuery(port, `DELETE FROM rooms WHERE name = '${name}'`);
    expect(refused).toEqual([expect.objectContaining({ name: "PostgresError", code: "42501" })]);
    expect(await queryRows(roomDatabaseUrl, "SELECT name FROM rooms WHERE name = $1", [name])).toEqual([{ name }]);
  });

  it("when `pnpm db:studio` is stopped, then no Studio is left running on its port", async () => {
    const port = await freePortPair();
    studio = spawn(
      process.execPath,
      ["--import", "tsx", "scripts/studio.ts", "room", "--port", String(port), "--browser", "none"],
      { cwd: ROOT, env: { ...process.env, ROOM_DATABASE_URL: inject("infra").databases.room }, stdio: "ignore" },
    );
    await waitFor(
      () =>
        fetch(`http://127.0.0.1:${port}/`).then(
          (res) => res.status,
          () => null,
        ),
      (status) => status !== null,
      { what: "Studio to listen", timeoutMs: 60_000 },
    );

    studio.kill("SIGTERM");
    await once(studio, "exit");

    const left = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.includes(`--port ${port}`));
    expect(left).toEqual([]);
    expect(
      await fetch(`http://127.0.0.1:${port}/`).then(
        () => "answered",
        () => "refused",
      ),
    ).toBe("refused");
  });
});
