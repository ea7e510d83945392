-- The retention sweep deletes inbox rows and released holds by age. BRIN: inbox rows arrive in time order, and it costs an insert almost nothing.
-- CreateIndex
CREATE INDEX "inbox_processed_at_idx" ON "inbox" USING BRIN ("processed_at");

-- CreateIndex
CREATE INDEX "holds_released_at_idx" ON "holds"("released_at");
