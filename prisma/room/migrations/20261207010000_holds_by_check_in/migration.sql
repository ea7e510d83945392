-- The holds covering a night are found by (room, check-in): a stay is at most 30 nights, so those
-- that began within 30 nights before it. The live reconciler counts them for each night it checks;
-- the room's own index it replaces served only lookups by room, which this one serves as well.
DROP INDEX "holds_room_id_idx";

CREATE INDEX "holds_room_id_check_in_idx" ON "holds"("room_id", "check_in");
