import { randomFillSync } from "node:crypto";
import { z } from "zod";

/**
 * A UUID in either case (.NET clients send GUIDs in capitals), normalised to lower case as
 * PostgreSQL prints it, so an id compares equal wherever it travels: bodies, paths, payloads, keys.
 */
export const uuid = z.uuid({ error: "must be a UUID" }).toLowerCase();

/**
 * A new id: a UUID of version 7 (RFC 9562), 48 bits of Unix time in milliseconds and then 74
 * random bits. Ids made later sort later, so the primary keys and unique indexes they go into
 * (bookings, holds, inbox and outbox rows) take new rows at their right-hand edge, where the
 * pages are already in memory and already written since the last checkpoint. A random (version 4)
 * id lands on any page of the index: the bigger the table, the more pages each insert reads,
 * dirties and writes in full to the WAL after a checkpoint.
 */
export function newId(now: number = Date.now()): string {
  const bytes = randomFillSync(Buffer.alloc(16));
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A guest's id as an identity provider issues it in a token's `sub`: 1–200 visible ASCII characters
 * (a UUID, `auth0|64f…`, a number), never trimmed or case-folded, so one guest is never taken for
 * another. It travels in the payment messages: the deposit charged is that guest's.
 */
export const guestId = z.string().regex(/^[\x21-\x7e]{1,200}$/, "must be 1 to 200 visible ASCII characters");
