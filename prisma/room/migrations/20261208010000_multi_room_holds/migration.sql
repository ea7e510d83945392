-- A booking may take units of several rooms: one hold row per (reservation, room), with the units
-- it took of that room for every night of the stay. Every hold written before took one unit.
ALTER TABLE "holds" ADD COLUMN "quantity" INTEGER NOT NULL DEFAULT 1;

ALTER TABLE "holds" DROP CONSTRAINT "holds_pkey",
  ADD CONSTRAINT "holds_pkey" PRIMARY KEY ("reservation_id", "room_id");

-- Hand-written: Prisma's schema language cannot express CHECK constraints.
ALTER TABLE "holds" ADD CONSTRAINT "holds_quantity_check" CHECK ("quantity" >= 1);
