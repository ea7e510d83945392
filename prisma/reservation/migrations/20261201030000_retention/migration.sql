-- The retention sweep deletes inbox rows by age. BRIN: rows arrive in time order, and it costs an insert almost nothing.
-- CreateIndex
CREATE INDEX "inbox_processed_at_idx" ON "inbox" USING BRIN ("processed_at");
