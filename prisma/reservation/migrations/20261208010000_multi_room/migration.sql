-- A booking of several rooms, or several units of one, lists them: [{"roomId", "quantity"}, ...].
-- NULL for a booking of one unit of "room_id" (every booking made before), which stays the first room.
ALTER TABLE "reservations" ADD COLUMN "rooms" JSONB;
