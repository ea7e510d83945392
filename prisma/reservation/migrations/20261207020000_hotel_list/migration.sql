-- The hotel's list (staff's GET /reservations): every guest's bookings by check-in, a page at a time
-- from a keyset cursor on (check-in, id), narrowed by check-in dates, status and room.
CREATE INDEX "reservations_check_in_id_idx" ON "reservations"("check_in", "id");
