// @saga/platform/sql: a service's database: its pools, its Prisma client and plain statements on
// one of them, and what a PostgreSQL error means. See README.md here for when to use which.
export { type ConnectionLog, type ConnectionPurpose, openPool } from "./connections.js";
export { databaseUnavailable, describeDatabase } from "./database.js";
export { isConnectionError, sqlState } from "./database-errors.js";
export { databasePlugin, type PgPool, pgAdapter } from "./database-plugin.js";
export { empty, join, type Query, raw, type Sql, type SqlTransaction, type Statements, sql, sqlOn } from "./sql.js";
