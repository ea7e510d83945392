-- The last room-change decided for a reservation (its changeId), and why it was refused (null when
-- it moved the hold): a copy of it sent again is answered as it was, never decided again.
ALTER TABLE "holds" ADD COLUMN "last_change_id" UUID;
ALTER TABLE "holds" ADD COLUMN "last_change_refusal" TEXT;
