/** The part of a Prisma client (or of its transaction) that infrastructure code needs; both services' fit it. */
export interface SqlExecutor {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

/** Consumer transactions apply a chunk of messages: give them room, but not forever. */
export const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 30_000 } as const;
