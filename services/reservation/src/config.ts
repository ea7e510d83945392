import { loadServiceConfig, parseEnv, positiveInt, type ServiceConfig } from "@saga/platform";
import { z } from "zod";

const sagaEnv = z.object({
  SAGA_DEADLINE_MS: positiveInt.default(30_000),
  SAGA_SWEEP_MS: positiveInt.default(1_000),
});

export interface ReservationConfig extends ServiceConfig {
  saga: { deadlineMs: number; sweepMs: number };
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): ReservationConfig {
  const base = loadServiceConfig(source, {
    prefix: "RESERVATION",
    name: "reservation-service",
    port: 3000,
    databaseUrl: "postgresql://postgres@127.0.0.1:5432/hotel_reservation",
  });
  const saga = parseEnv(sagaEnv, source);
  return { ...base, saga: { deadlineMs: saga.SAGA_DEADLINE_MS, sweepMs: saga.SAGA_SWEEP_MS } };
}
