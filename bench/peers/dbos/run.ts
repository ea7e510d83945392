// The DBOS peer in the bench: its own databases on the same PostgreSQL server (databases.ts) and
// DBOS's system database, and the peer's process (peer.ts), whose CPU the steps count.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { dropDatabase, withDatabase } from "@saga/ops/databases";
import { checkInvariant, type InvariantReport, invariantHolds } from "@saga/ops/invariant";
import { untilReady } from "@saga/ops/launch";
import { ROOT } from "@saga/ops/local";
import { adminUrl, type Instance } from "../../system.js";
import { preparePeerDatabases } from "./databases.js";
import type { PeerKind } from "./transact.js";

export type { PeerKind } from "./transact.js";

export interface Peer extends Instance {
  /** The peer's reservation database (as the services' role), where the steps find its bookings. */
  reservationUrl: string;
  kind: PeerKind;
  /** The invariant over the peer's three databases, every booking settled; `ok` is false on any breach. */
  invariant(): Promise<InvariantReport & { ok: boolean }>;
}

/** Every setting given to DBOS, and the versions pinned; the rest are its defaults (recorded in docs/benchmarks.md). */
export const DBOS_SETTINGS = {
  name: "hotel-bench-peer",
  systemDatabase: "hotel_bench_peer_dbos_sys",
  kinds: {
    steps: "each database transaction a DBOS step (DBOS.runStep) on node-postgres, pools of 10",
    transactions:
      "each database transaction a DBOS transaction through @dbos-inc/prisma-datasource (its checkpoint row commits with the step's writes), Prisma on node-postgres pools of 10",
  } satisfies Record<PeerKind, string>,
  // Pinned exactly in package.json: the prisma datasource 5.1.10 calls SDK helpers removed in 5.2.
  versions: { "@dbos-inc/dbos-sdk": "5.1.10", "@dbos-inc/prisma-datasource": "5.1.10" },
} as const;

export async function startDbosPeer(
  env: NodeJS.ProcessEnv,
  port: number,
  roomsFrom: string,
  kind: PeerKind = "steps",
): Promise<Peer> {
  const databases = await preparePeerDatabases(env, roomsFrom, kind);
  const systemUrl = withDatabase(adminUrl(env.RESERVATION_DATABASE_URL), DBOS_SETTINGS.systemDatabase);
  await dropDatabase(systemUrl);

  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "bench/peers/dbos/peer.ts"], {
    cwd: ROOT,
    env: {
      ...env,
      PEER_KIND: kind,
      PEER_PORT: String(port),
      PEER_RESERVATION_DATABASE_URL: databases.reservation.appUrl,
      PEER_ROOM_DATABASE_URL: databases.room.appUrl,
      PEER_PAYMENT_DATABASE_URL: databases.payment.appUrl,
      PEER_SYSTEM_DATABASE_URL: systemUrl,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  await untilReady(url, "the DBOS peer", 60_000, () => child.exitCode !== null, "/ready");
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  };
  const invariant = async () => {
    const report = await checkInvariant({
      reservation: databases.reservation.adminUrl,
      room: databases.room.adminUrl,
      payment: databases.payment.adminUrl,
    });
    return { ok: invariantHolds(report, true), ...report };
  };
  return { url, pid: child.pid as number, stop, reservationUrl: databases.reservation.appUrl, kind, invariant };
}
