-- Kafka headers a message carries besides its id (a replayed dead letter says so, and how often).
ALTER TABLE "outbox" ADD COLUMN "headers" JSONB;
ALTER TABLE "outbox_refused" ADD COLUMN "headers" JSONB;
