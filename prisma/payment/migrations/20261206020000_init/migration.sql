-- The payment service's database: a double-entry ledger (accounts, movements, entries), each
-- booking's payment, and the outbox and inbox of its saga messages.
CREATE TYPE "AccountKind" AS ENUM ('GUEST_DEPOSIT', 'HOTEL_REVENUE', 'CREDITS_ISSUED');
CREATE TYPE "MovementKind" AS ENUM ('CREDIT', 'CHARGE', 'REFUND');
CREATE TYPE "PaymentStatus" AS ENUM ('CHARGED', 'DECLINED', 'VOIDED', 'REFUNDED');

CREATE TABLE "accounts" (
    "id" UUID NOT NULL,
    "kind" "AccountKind" NOT NULL,
    "owner" TEXT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "balance" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "movements" (
    "id" UUID NOT NULL,
    "kind" "MovementKind" NOT NULL,
    "guest_id" TEXT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "amount" BIGINT NOT NULL,
    "reservation_id" UUID,
    "reason" TEXT,
    "idempotency_key" TEXT,
    "request_hash" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "movements_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "entries" (
    "id" BIGSERIAL NOT NULL,
    "movement_id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "amount" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "entries_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "payments" (
    "reservation_id" UUID NOT NULL,
    "guest_id" TEXT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "status" "PaymentStatus" NOT NULL,
    "charged" BIGINT NOT NULL DEFAULT 0,
    "refunded" BIGINT NOT NULL DEFAULT 0,
    "decline_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "payments_pkey" PRIMARY KEY ("reservation_id")
);

CREATE TABLE "outbox" (
    "id" BIGSERIAL NOT NULL,
    "message_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "headers" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "outbox_refused" (
    "id" BIGINT NOT NULL,
    "message_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "headers" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "reason" TEXT NOT NULL,
    "refused_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_refused_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "inbox" (
    "message_id" UUID NOT NULL,
    "topic" TEXT NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbox_pkey" PRIMARY KEY ("message_id")
);

CREATE UNIQUE INDEX "accounts_kind_owner_currency_key" ON "accounts"("kind", "owner", "currency");
CREATE UNIQUE INDEX "movements_idempotency_key_key" ON "movements"("idempotency_key");
CREATE INDEX "movements_reservation_id_idx" ON "movements"("reservation_id");
CREATE INDEX "entries_movement_id_idx" ON "entries"("movement_id");
CREATE INDEX "entries_account_id_id_idx" ON "entries"("account_id", "id");
CREATE INDEX "payments_guest_id_idx" ON "payments"("guest_id");
CREATE UNIQUE INDEX "outbox_message_id_key" ON "outbox"("message_id");
CREATE INDEX "outbox_refused_refused_at_idx" ON "outbox_refused"("refused_at");
CREATE INDEX "inbox_processed_at_idx" ON "inbox" USING BRIN ("processed_at");

ALTER TABLE "entries" ADD CONSTRAINT "entries_movement_id_fkey" FOREIGN KEY ("movement_id") REFERENCES "movements"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "entries" ADD CONSTRAINT "entries_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written: what Prisma's schema language cannot say.
-- A guest's deposit has a balance, never below zero; the house accounts' balances are their entries' sums.
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_deposit_balance" CHECK (
  ("kind" = 'GUEST_DEPOSIT') = ("balance" IS NOT NULL) AND ("balance" IS NULL OR "balance" >= 0)
);
ALTER TABLE "movements" ADD CONSTRAINT "movements_amount_positive" CHECK ("amount" > 0);
ALTER TABLE "payments" ADD CONSTRAINT "payments_money" CHECK ("charged" >= 0 AND "refunded" >= 0 AND "refunded" <= "charged");

-- Double entry, held by the database itself: when a transaction commits, the entries of every
-- movement it wrote to sum to zero. A constraint trigger, deferred to the commit, checks each
-- movement once however many of its entries the transaction wrote.
CREATE FUNCTION "entries_balanced"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT sum("amount") FROM "entries" WHERE "movement_id" = NEW."movement_id") <> 0 THEN
    RAISE EXCEPTION 'movement % does not balance: its entries do not sum to zero', NEW."movement_id"
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER "entries_balanced" AFTER INSERT OR UPDATE ON "entries"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "entries_balanced"();

-- Entries are never changed or deleted: a mistake is corrected by a movement of its own.
CREATE FUNCTION "entries_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are never changed or deleted' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER "entries_append_only" BEFORE UPDATE OR DELETE ON "entries"
  FOR EACH ROW EXECUTE FUNCTION "entries_append_only"();
