// Whether a tool's broker and databases answer, asked once and quickly before it starts its work,
// so that one that does not is one line naming its address, not a retry loop and a stack trace.
import { someInChain } from "@saga/platform/errors";
import { describeDatabase, isConnectionError } from "@saga/platform/sql";
import { Kafka, logLevel, type SASLOptions } from "kafkajs";
import pg from "pg";
import { innermostMessage, ToolFailure } from "./tool-failure.js";

/** What to run when the local stack's broker is not there. */
const START_STACK = "is the stack up? run `npm start` (or set KAFKA_BROKERS)";

/** A login to the brokers, and what the operator should check when they refuse it. */
export interface KafkaLogin {
  sasl: SASLOptions | undefined;
  /** Who logs in, as a message names them (`'operator'`, `no login`). */
  who: string;
  whenRefused: string;
}

const saslRefused = (e: { name?: unknown; message?: unknown }) =>
  e.name === "KafkaJSSASLAuthenticationError" || /SASL .*authentication failed/i.test(String(e.message));

/**
 * Logs in to the brokers once, with a few seconds to answer (kafkajs' own retries take ten and end
 * in a stack trace): a broker that does not answer, or refuses the login, is a ToolFailure naming
 * its address.
 */
export async function reachKafka(brokers: string[], login: KafkaLogin, whenUnreachable = START_STACK): Promise<void> {
  const admin = new Kafka({
    clientId: "reach",
    brokers,
    sasl: login.sasl,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    authenticationTimeout: 3_000,
    requestTimeout: 3_000,
    retry: { retries: 1, initialRetryTime: 300 },
  }).admin();
  const at = brokers.join(",");
  try {
    await admin.connect();
  } catch (err) {
    const why = innermostMessage(err);
    if (someInChain(err, saslRefused))
      throw new ToolFailure(`Kafka at ${at} refused the login of ${login.who} (${why})`, login.whenRefused);
    throw new ToolFailure(`Kafka is not reachable at ${at} as ${login.who} (${why})`, whenUnreachable);
  } finally {
    await admin.disconnect();
  }
}

/** A database a tool reads or writes, and the setting that names it (`ROOM_DATABASE_URL`, `--room`). */
export interface DatabaseAccess {
  url: string;
  setting: string;
}

async function connectionError(url: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
  } catch (err) {
    return err;
  }
  await client.end();
  return undefined;
}

/**
 * Whether the server of each database answers (all at once; the first in order that does not is
 * a ToolFailure naming it and its setting). What a server then says, a refused login or no such
 * database, the tool's own work reports.
 */
export async function reachDatabases(databases: DatabaseAccess[]): Promise<void> {
  const errors = await Promise.all(databases.map((db) => connectionError(db.url)));
  const at = errors.findIndex(isConnectionError);
  const db = databases[at];
  if (db) {
    throw new ToolFailure(
      `PostgreSQL is not reachable at ${describeDatabase(db.url)} (${innermostMessage(errors[at])})`,
      `start PostgreSQL, or set ${db.setting}`,
    );
  }
}
