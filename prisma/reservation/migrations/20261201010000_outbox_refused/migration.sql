-- CreateTable
CREATE TABLE "outbox_refused" (
    "id" BIGINT NOT NULL,
    "message_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "reason" TEXT NOT NULL,
    "refused_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_refused_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "outbox_refused_refused_at_idx" ON "outbox_refused"("refused_at");
