// The DBOS peer's own databases on the bench's PostgreSQL server: a reservation, a room and a
// payment database migrated as the services' are, with the bench's rooms copied in (every night
// free) and the bench's guests' deposits funded, and, for DBOS transactions, the datasource's
// checkpoint table in each.
import { createTransactionCompletionSchemaPG, createTransactionCompletionTablePG } from "@dbos-inc/dbos-sdk/datasource";
import type { ServiceName } from "@saga/contracts";
import {
  dropDatabase,
  prepareDatabase,
  type ServiceDatabase,
  serviceDatabases,
  withDatabase,
} from "@saga/ops/databases";
import { credit } from "@saga/payment/ledger";
import { writeMovements } from "@saga/payment/queries";
import { benchGuest, GUESTS } from "../../saga.js";
import { withClient } from "../../seed.js";
import { adminUrl } from "../../system.js";
import type { PeerKind } from "./transact.js";

/** What each bench guest's EUR deposit holds before a run: far more than a run can spend. */
const DEPOSIT = { amount: 1_000_000_000, currency: "EUR" };

/** The peer's databases, by service: the bench's names with `peer_` in them. */
function peerDatabases(env: NodeJS.ProcessEnv): Record<ServiceName, ServiceDatabase> {
  const own = Object.fromEntries(
    serviceDatabases(env).map((db) => [db.envVar, withDatabase(db.url, `hotel_bench_peer_${db.service}`)]),
  );
  const databases = serviceDatabases({ ...env, ...own });
  const of = (service: ServiceName) => {
    const db = databases.find((d) => d.service === service);
    if (!db) throw new Error(`no ${service} database configured`);
    return db;
  };
  return { reservation: of("reservation"), room: of("room"), payment: of("payment") };
}

/**
 * The datasource's checkpoint table (the SDK's own DDL), made by the database's owner; the
 * service's role, which the peer logs in as, gets its rows.
 */
async function installCheckpoints(db: ServiceDatabase): Promise<void> {
  const app = `"${db.roles.app.name}"`;
  await withClient(db.ownerUrl, async (c) => {
    await c.query(createTransactionCompletionSchemaPG());
    await c.query(createTransactionCompletionTablePG());
    await c.query(`GRANT USAGE ON SCHEMA "dbos" TO ${app}`);
    await c.query(`GRANT SELECT, INSERT, DELETE ON "dbos"."transaction_completion" TO ${app}`);
  });
}

/** The same rooms (units and rate plans) and per-night rates in the peer's room database, every night free. */
async function copyRooms(fromUrl: string, toUrl: string): Promise<void> {
  const [rooms, rates] = await withClient(fromUrl, async (c) => {
    const all = (text: string) => c.query<{ json: string }>(text).then((r) => r.rows[0]?.json ?? "[]");
    return [
      await all(`SELECT COALESCE(json_agg(r), '[]')::text AS "json" FROM "rooms" r`),
      await all(
        `SELECT COALESCE(json_agg(json_build_object('room_id', "room_id", 'date', "date", 'taken', 0, 'rate', "rate")), '[]')::text AS "json"
         FROM "room_nights" WHERE "rate" IS NOT NULL`,
      ),
    ];
  });
  await withClient(toUrl, async (c) => {
    await c.query(`INSERT INTO "rooms" SELECT * FROM json_populate_recordset(NULL::"rooms", $1::json)`, [rooms]);
    await c.query(`INSERT INTO "room_nights" SELECT * FROM json_populate_recordset(NULL::"room_nights", $1::json)`, [
      rates,
    ]);
  });
}

/** Every bench guest's EUR deposit, opened with one staff credit each: one ledger statement. */
async function fundGuests(paymentUrl: string): Promise<void> {
  const credits = Array.from({ length: GUESTS }, (_, i) => credit(benchGuest(i), DEPOSIT.currency, DEPOSIT.amount));
  await withClient(paymentUrl, (c) => c.query(writeMovements(credits)));
}

/** Fresh peer databases for a run of `kind`, with the rooms of the bench's room database `roomsFrom`. */
export async function preparePeerDatabases(env: NodeJS.ProcessEnv, roomsFrom: string, kind: PeerKind) {
  const databases = peerDatabases(env);
  for (const db of Object.values(databases)) {
    await dropDatabase(db.adminUrl);
    await prepareDatabase(db);
    if (kind === "transactions") await installCheckpoints(db);
  }
  await copyRooms(adminUrl(roomsFrom), databases.room.adminUrl);
  await fundGuests(databases.payment.adminUrl);
  return databases;
}
