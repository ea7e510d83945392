-- Prices and payment. A booking learns its price from the room service's reply (the price fixed
-- when its nights were taken, as `price`); a prepaid one then waits for its charge
-- (AWAITING_PAYMENT); one that fails after its nights were taken gives them back first
-- (RELEASE_PENDING). A refund, like a room-cancel, is owed until the payment service confirms it.
ALTER TYPE "ReservationStatus" ADD VALUE 'AWAITING_PAYMENT';
ALTER TYPE "ReservationStatus" ADD VALUE 'RELEASE_PENDING';

ALTER TABLE "reservations"
  ADD COLUMN "price" JSONB,
  ADD COLUMN "charged" BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN "refund_keep" BIGINT,
  ADD COLUMN "refunded" BIGINT,
  ADD COLUMN "kept" BIGINT,
  ADD COLUMN "refund_due_at" TIMESTAMPTZ(3),
  ADD COLUMN "refund_attempts" INTEGER NOT NULL DEFAULT 0;

CREATE INDEX "reservations_refund_due_at_idx" ON "reservations"("refund_due_at");

-- Hand-written: Prisma's schema language cannot express CHECK constraints. Money is never negative.
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_money_non_negative" CHECK (
  "charged" >= 0 AND ("refund_keep" IS NULL OR "refund_keep" >= 0)
  AND ("refunded" IS NULL OR "refunded" >= 0) AND ("kept" IS NULL OR "kept" >= 0)
);
