-- The trace of the message that changed each hold, when tracing is on: where to look next.
ALTER TABLE "hold_history" ADD COLUMN "trace_id" TEXT;
