import { settings } from "@saga/payment/config";
import { defineConfig } from "prisma/config";

// Used by `prisma generate` and Prisma Studio (`pnpm db:studio payment`, which logs in as the operators' role):
// the database is the service's own, by the service's own setting (PAYMENT_DATABASE_URL).
// Migrations are applied by `pnpm db:migrate` (scripts/image/migrate.ts), see the README.
export default defineConfig({
  schema: "schema.prisma",
  migrations: { path: "migrations" },
  datasource: { url: settings.databaseUrl() },
});
