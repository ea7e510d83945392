import { count, millis, parseEnv, serviceSettings } from "@saga/platform/config";
import { z } from "zod";

const sagaEnv = z
  .object({
    SAGA_SWEEP_MS: millis.default(1_000),
    SAGA_SWEEP_BATCH: count(10_000).default(100),
    PAYMENT_DEADLINE_MS: millis.default(30_000),
    CANCEL_RESEND_MS: millis.default(10_000),
    CANCEL_RESEND_MAX_MS: millis.default(300_000),
    RATE_LIMIT_BOOKINGS_PER_MINUTE: count(1_000_000).default(30),
    MAX_ACTIVE_BOOKINGS_PER_GUEST: count(1_000_000).default(20),
    IDEMPOTENCY_KEY_TTL_MS: millis.default(86_400_000),
    MULTI_ROOM_MESSAGES: z.stringbool().default(true),
    DATE_CHANGES: z.stringbool().default(true),
    ROOM_SERVICE_URL: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:3001"),
    ROOM_SERVICE_TIMEOUT_MS: millis.default(2_000),
  })
  .transform((e) => ({
    /** How often overdue bookings and unconfirmed cancels are looked for. */
    sweepMs: e.SAGA_SWEEP_MS,
    /** Bookings one sweep transaction handles; a sweep goes on until none is left. */
    sweepBatch: e.SAGA_SWEEP_BATCH,
    /** How long a prepaid booking waits for its charge before its nights are given back (PAYMENT_TIMEOUT). */
    paymentDeadlineMs: e.PAYMENT_DEADLINE_MS,
    /** A room-cancel or refund not confirmed this long after it was sent is sent again, then after twice as long, … */
    cancelResendMs: e.CANCEL_RESEND_MS,
    /** … up to this long between two re-sends. */
    cancelResendMaxMs: e.CANCEL_RESEND_MAX_MS,
    /** Bookings one guest may make a minute (requests without a valid token: per address). */
    bookingsPerMinute: e.RATE_LIMIT_BOOKINGS_PER_MINUTE,
    /** Bookings a guest may hold at once that are PENDING, SUCCESS or CANCEL_PENDING. */
    maxActivePerGuest: e.MAX_ACTIVE_BOOKINGS_PER_GUEST,
    /** How long an Idempotency-Key answers with its booking; after that the same key makes a new one. */
    idempotencyKeyTtlMs: e.IDEMPOTENCY_KEY_TTL_MS,
    /**
     * Whether bookings of several rooms or units are taken: they need room-reserve version 3 and may
     * be answered by transaction-result version 3. Off while an upgrade from a build that reads
     * neither is rolling out (docs/decisions.md); a booking of one room never needs them.
     */
    multiRoomMessages: e.MULTI_ROOM_MESSAGES,
    /**
     * Whether guests may move a booking to other dates: it sends room-change and is answered by
     * transaction-result version 4. Off while an upgrade from a build that reads neither is rolling
     * out (docs/decisions.md).
     */
    dateChanges: e.DATE_CHANGES,
    /** Where the room service's HTTP API is (change quotes read its public quote and availability), and how long it may take. */
    roomService: { url: e.ROOM_SERVICE_URL, timeoutMs: e.ROOM_SERVICE_TIMEOUT_MS },
  }));

/** The reservation service: the platform's settings, and the saga's own. */
export const settings = serviceSettings("reservation", (base, source) => ({
  ...base,
  saga: parseEnv(sagaEnv, source),
}));

export const { loadConfig } = settings;
export type ReservationConfig = ReturnType<typeof loadConfig>;
