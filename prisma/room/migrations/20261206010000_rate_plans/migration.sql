-- Prices: a room may carry a rate plan (a nightly rate in minor units of one currency, how it is
-- paid, and its cancellation policy); a night may carry its own rate; a hold records the price
-- fixed when its nights were taken. A room without a rate plan is paid at the hotel, with no price.
CREATE TYPE "PaymentMode" AS ENUM ('AT_HOTEL', 'PREPAID');

ALTER TABLE "rooms"
  ADD COLUMN "currency" CHAR(3),
  ADD COLUMN "nightly_rate" BIGINT,
  ADD COLUMN "payment" "PaymentMode" NOT NULL DEFAULT 'AT_HOTEL',
  ADD COLUMN "free_until_hours" INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN "penalty_nights" INTEGER NOT NULL DEFAULT 0;

ALTER TABLE "room_nights" ADD COLUMN "rate" BIGINT;

-- The price as the reply gave it (transaction-result's `price`): a redelivered reserve is answered alike.
ALTER TABLE "holds" ADD COLUMN "price" JSONB;

-- Hand-written: Prisma's schema language cannot express CHECK constraints. A rate plan is whole (a
-- currency and a positive rate, or neither), a prepaid room has one, amounts are positive.
ALTER TABLE "rooms" ADD CONSTRAINT "rooms_rate_plan" CHECK (
  ("currency" IS NULL) = ("nightly_rate" IS NULL)
  AND ("nightly_rate" IS NULL OR "nightly_rate" > 0)
  AND ("payment" = 'AT_HOTEL' OR "currency" IS NOT NULL)
  AND "free_until_hours" >= 0 AND "penalty_nights" >= 0
);
ALTER TABLE "room_nights" ADD CONSTRAINT "room_nights_rate_positive" CHECK ("rate" IS NULL OR "rate" > 0);
