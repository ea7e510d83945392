import { count, millis, parseEnv, port } from "@saga/platform/config";
import { z } from "zod";
import { serviceDatabases } from "../databases.js";

/** Where the reconciler listens unless told otherwise: beside the services' ports. */
const RECONCILER_PORT = 3009;

const schema = z.object({
  RECONCILER_HOST: z.string().min(1).default("127.0.0.1"),
  RECONCILER_PORT: port.default(RECONCILER_PORT),
  RECONCILE_INTERVAL_MS: millis.default(5_000),
  RECONCILE_SWEEP_ROWS: count(1_000_000).default(5_000),
  RECONCILE_LOG_ROWS: count(1_000_000).default(50_000),
  RECONCILER_ROOM_DATABASE_URL: z.url().optional(),
  RECONCILER_RESERVATION_DATABASE_URL: z.url().optional(),
  RECONCILER_PAYMENT_DATABASE_URL: z.url().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

/**
 * The live reconciler's one configuration: where it listens, how often it passes, how much of each
 * table its sweep checks per pass, and the three databases, as the operators' role unless URLs are
 * given (RECONCILER_<SERVICE>_DATABASE_URL).
 */
export function loadReconcilerConfig(env: NodeJS.ProcessEnv = process.env) {
  const c = parseEnv(schema, env);
  const given = {
    room: c.RECONCILER_ROOM_DATABASE_URL,
    reservation: c.RECONCILER_RESERVATION_DATABASE_URL,
    payment: c.RECONCILER_PAYMENT_DATABASE_URL,
  };
  // The stack's databases as the operators' role, only for what is not given (in a container, all is).
  const operator = Object.values(given).every(Boolean)
    ? {}
    : Object.fromEntries(serviceDatabases(env).map((d) => [d.service, d.operatorUrl]));
  return {
    host: c.RECONCILER_HOST,
    port: c.RECONCILER_PORT,
    logLevel: c.LOG_LEVEL,
    intervalMs: c.RECONCILE_INTERVAL_MS,
    sweepRows: c.RECONCILE_SWEEP_ROWS,
    logRows: c.RECONCILE_LOG_ROWS,
    databases: {
      room: given.room ?? (operator.room as string),
      reservation: given.reservation ?? (operator.reservation as string),
      payment: given.payment ?? (operator.payment as string),
    },
  };
}

export type ReconcilerConfig = ReturnType<typeof loadReconcilerConfig>;
