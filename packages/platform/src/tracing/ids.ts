import { getRandomValues } from "node:crypto";

const ID_BYTES = 24;
// Drawn from the CSPRNG many ids at a time, as Node's randomUUID does: a call per id costs ~20 times more.
const pool = Buffer.allocUnsafe(ID_BYTES * 128);
let next = pool.length;

/** A random W3C trace id (16 bytes) and span id (8 bytes), as lowercase hex. */
export function randomTraceIds(): { traceId: string; spanId: string } {
  if (next === pool.length) {
    getRandomValues(pool);
    next = 0;
  }
  const hex = pool.toString("hex", next, next + ID_BYTES);
  next += ID_BYTES;
  return { traceId: hex.slice(0, 32), spanId: hex.slice(32) };
}
