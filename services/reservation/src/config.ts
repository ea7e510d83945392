import { count, loadServiceConfig, millis, parseEnv } from "@saga/platform";
import { z } from "zod";

const sagaEnv = z
  .object({
    SAGA_SWEEP_MS: millis.default(1_000),
    SAGA_SWEEP_BATCH: count(10_000).default(100),
    CANCEL_RESEND_MS: millis.default(10_000),
    CANCEL_RESEND_MAX_MS: millis.default(300_000),
  })
  .transform((e) => ({
    /** How often overdue bookings and unconfirmed cancels are looked for. */
    sweepMs: e.SAGA_SWEEP_MS,
    /** Bookings one sweep transaction handles; a sweep goes on until none is left. */
    sweepBatch: e.SAGA_SWEEP_BATCH,
    /** A room-cancel not confirmed this long after it was sent is sent again, then after twice as long, … */
    cancelResendMs: e.CANCEL_RESEND_MS,
    /** … up to this long between two re-sends. */
    cancelResendMaxMs: e.CANCEL_RESEND_MAX_MS,
  }));

export function loadConfig(source: NodeJS.ProcessEnv = process.env) {
  const base = loadServiceConfig(source, {
    prefix: "RESERVATION",
    name: "reservation-service",
    port: 3000,
    databaseUrl: "postgresql://postgres@127.0.0.1:5432/hotel_reservation",
  });
  return { ...base, saga: parseEnv(sagaEnv, source) };
}

export type ReservationConfig = ReturnType<typeof loadConfig>;
