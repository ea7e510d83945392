import { defineConfig } from "prisma/config";

// Used by `prisma generate` and Prisma Studio (`pnpm db:studio room`).
// Migrations are applied by `pnpm db:migrate` (scripts/migrate.ts), see the README.
export default defineConfig({
  schema: "schema.prisma",
  migrations: { path: "migrations" },
  datasource: {
    url: process.env.ROOM_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/room",
  },
});
