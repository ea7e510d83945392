-- What the room service did with each room-reserve and room-cancel, with the message's id: written by
-- the statement that owes the reply, so it commits with the change or not at all.
CREATE TABLE "hold_history" (
    "id" BIGSERIAL NOT NULL,
    "reservation_id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "event" TEXT NOT NULL,
    "reason" TEXT,
    "message_id" UUID NOT NULL,

    CONSTRAINT "hold_history_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "hold_history_reservation_id_id_idx" ON "hold_history"("reservation_id", "id");
