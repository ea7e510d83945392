-- Each state change of a booking, written by the statement that makes it: what a support agent reads.
CREATE TABLE "reservation_history" (
    "id" BIGSERIAL NOT NULL,
    "reservation_id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status" "ReservationStatus" NOT NULL,
    "reason" TEXT,
    "cause" TEXT NOT NULL,
    "message_id" UUID,

    CONSTRAINT "reservation_history_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "reservation_history_reservation_id_id_idx" ON "reservation_history"("reservation_id", "id");
