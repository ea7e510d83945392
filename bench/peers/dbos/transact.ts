// How the peer's workflow runs one database transaction, by kind:
//   steps: a DBOS step (DBOS.runStep) around a node-postgres transaction; DBOS checkpoints the
//     step's result in its system database after the transaction committed;
//   transactions: a DBOS transaction through @dbos-inc/prisma-datasource, DBOS's recommended
//     way: the step's checkpoint row is written in the same transaction as its writes.
// Both run the same plain statements, on a pool of 10 connections per database (the services'
// default), opened as the services' consumers open theirs.
import { DBOS } from "@dbos-inc/dbos-sdk";
import { PrismaDataSource } from "@dbos-inc/prisma-datasource";
import {
  type ConnectionLog,
  openPool,
  pgAdapter,
  type Query,
  type SqlTransaction,
  type Statements,
  sqlOn,
} from "@saga/platform/sql";
import { PrismaClient } from "@saga/reservation/domain";

import type { PEER_KINDS } from "../../config.js";

export type PeerKind = (typeof PEER_KINDS)[number];

type PeerDatabase = "reservation" | "room" | "payment";
type PerDatabase<T> = Record<PeerDatabase, T>;

export interface PeerTransactions {
  /** `work` as one transaction on database `db`, a step of the workflow named `name`. */
  run<T>(db: PeerDatabase, name: string, work: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const POOL_SIZE = 10;

const perDatabase = <A, B>(from: PerDatabase<A>, fn: (value: A, db: PeerDatabase) => B): PerDatabase<B> => ({
  reservation: fn(from.reservation, "reservation"),
  room: fn(from.room, "room"),
  payment: fn(from.payment, "payment"),
});

function stepsOn(urls: PerDatabase<string>, log: ConnectionLog): PeerTransactions {
  const pools = perDatabase(urls, (url) => openPool(url, "messages", POOL_SIZE, log));
  const sqls = perDatabase(pools, sqlOn);
  return {
    run: (db, name, work) => DBOS.runStep(() => sqls[db].transaction(work), { name }),
    close: async () => {
      await Promise.all(Object.values(pools).map((pool) => pool.end()));
    },
  };
}

/** What the peer needs of a Prisma client (the transaction's): raw statements. */
interface RawStatements {
  $queryRawUnsafe<T>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

/** A bigint column as node-postgres reads it on the services' pools: a number, refused beyond 2^53. */
function numbersOf(row: Record<string, unknown>): Record<string, unknown> {
  for (const [column, value] of Object.entries(row)) {
    if (typeof value !== "bigint") continue;
    if (!Number.isSafeInteger(Number(value))) throw new RangeError(`bigint ${value} is beyond a safe integer`);
    row[column] = Number(value);
  }
  return row;
}

const statementsOn = (client: RawStatements): Statements => ({
  rows: async <T>(query: Query) =>
    (await client.$queryRawUnsafe<Record<string, unknown>[]>(query.text, ...query.values)).map(numbersOf) as T[],
  run: (query: Query) => client.$executeRawUnsafe(query.text, ...query.values),
});

/**
 * Prisma's interactive transactions wait 2 s for a connection and may last 5 s by default; the
 * datasource starts them with its defaults, so the client is given the bounds the steps' pools
 * have (10 s to get a connection, 30 s per statement), or a transaction waiting for the pool under
 * load would fail where a step waits.
 */
const TRANSACTION_BOUNDS = { maxWait: 10_000, timeout: 30_000 };

function transactionsOn(urls: PerDatabase<string>, log: ConnectionLog): PeerTransactions {
  // Raw statements only: the reservation service's generated client serves each database.
  const clients = perDatabase(
    urls,
    (url) =>
      new PrismaClient({
        adapter: pgAdapter(openPool(url, "messages", POOL_SIZE, log)),
        transactionOptions: TRANSACTION_BOUNDS,
      }),
  );
  const sources = perDatabase(clients, (client, db) => new PrismaDataSource<RawStatements>(db, client));
  return {
    run: (db, name, work) => sources[db].runTransaction(() => work(statementsOn(sources[db].client)), { name }),
    close: async () => {
      await Promise.all(Object.values(clients).map((client) => client.$disconnect()));
    },
  };
}

/** The peer's transactions of `kind` on its three databases; the datasources must exist before DBOS.launch(). */
export function openPeerTransactions(kind: PeerKind, urls: PerDatabase<string>, log: ConnectionLog): PeerTransactions {
  return kind === "steps" ? stepsOn(urls, log) : transactionsOn(urls, log);
}
