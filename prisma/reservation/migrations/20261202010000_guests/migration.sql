-- Guests own their bookings: the guest's id (the token's `sub`) on each booking, an Idempotency-Key
-- per guest, and each guest's count of active bookings (PENDING, SUCCESS, CANCEL_PENDING), which
-- caps them under concurrent requests (a row lock per guest).
-- Bookings stored before this migration have no guest id: only staff can read or cancel them.

-- AlterTable
ALTER TABLE "reservations" ADD COLUMN     "guest_id" TEXT;

-- DropIndex
DROP INDEX "reservations_idempotency_key_key";

-- CreateIndex
CREATE UNIQUE INDEX "reservations_guest_id_idempotency_key_key" ON "reservations"("guest_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "reservations_guest_id_created_at_id_idx" ON "reservations"("guest_id", "created_at", "id");

-- CreateTable
CREATE TABLE "guest_bookings" (
    "guest_id" TEXT NOT NULL,
    "active" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "guest_bookings_pkey" PRIMARY KEY ("guest_id")
);

-- Hand-written: a count of bookings is never below zero.
ALTER TABLE "guest_bookings" ADD CONSTRAINT "guest_bookings_active_non_negative" CHECK ("active" >= 0);
