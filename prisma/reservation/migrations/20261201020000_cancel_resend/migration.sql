-- A room-cancel is owed until the room service confirms it (CANCEL): when to send it again, and how often it was sent.
-- AlterTable
ALTER TABLE "reservations" ADD COLUMN     "cancel_attempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "cancel_due_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "reservations_cancel_due_at_idx" ON "reservations"("cancel_due_at");
