-- A confirmed booking moving to other dates waits on the room service in CHANGE_PENDING.
ALTER TYPE "ReservationStatus" ADD VALUE 'CHANGE_PENDING';
-- The change under way: {"checkIn", "checkOut", "from": {"checkIn", "checkOut"}, "reverting", "reason",
-- "phase", "net", "target", ...} (domain/saga.ts, PendingChange); null when none is. While "reverting",
-- the change was sent back past its deadline (to "from").
ALTER TABLE "reservations" ADD COLUMN "change" JSONB;
-- How the last change ended: {"status": "CHANGED" | "REFUSED", "reason", "from", "to", "at"}.
ALTER TABLE "reservations" ADD COLUMN "last_change" JSONB;
-- What date changes of a prepaid booking kept (penalties of cheaper stays asked for late), in minor
-- units: charged on top of its total, and kept by a cancel.
ALTER TABLE "reservations" ADD COLUMN "change_kept" BIGINT NOT NULL DEFAULT 0;
-- The message a change under way awaits an answer to (its room-change, the change sent back, or an
-- adjustment of its charge) is sent again when unanswered this long, as a room-cancel is.
ALTER TABLE "reservations" ADD COLUMN "change_due_at" TIMESTAMPTZ(3);
ALTER TABLE "reservations" ADD COLUMN "change_attempts" INTEGER NOT NULL DEFAULT 0;
CREATE INDEX "reservations_change_due_at_idx" ON "reservations"("change_due_at");
