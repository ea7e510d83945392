import { type Query, sql } from "../sql/sql.js";
import type { Delivered } from "./consumer/handler.js";

/**
 * Records deliveries in the inbox, in the same transaction as their effect: the rows it returns
 * (`message_id`) are the deliveries not seen before, so a redelivery, or a second copy in the same
 * chunk, changes nothing. A statement of its own, or a CTE a domain composes with its first read.
 */
export function recordDeliveries(delivered: Delivered<{ messageId: string }>[]): Query {
  return sql`
    INSERT INTO "inbox" ("message_id", "topic")
    SELECT * FROM unnest(${delivered.map((d) => d.message.messageId)}::uuid[], ${delivered.map((d) => d.context.topic)}::text[])
    ON CONFLICT DO NOTHING RETURNING "message_id"::text`;
}
