-- The trace of the request or reply that made each change, when tracing is on: where to look next.
ALTER TABLE "reservation_history" ADD COLUMN "trace_id" TEXT;
