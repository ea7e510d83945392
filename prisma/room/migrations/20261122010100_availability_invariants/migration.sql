-- Hand-written: Prisma's schema language cannot express CHECK constraints.
-- The database itself refuses a room without units and a night taken below zero.
ALTER TABLE "rooms" ADD CONSTRAINT "rooms_units_positive" CHECK ("units" > 0);
ALTER TABLE "room_nights" ADD CONSTRAINT "room_nights_taken_non_negative" CHECK ("taken" >= 0);
