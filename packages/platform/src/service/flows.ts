import { FLOWS, type TopicKey } from "@saga/contracts";
import type { ServiceConfig } from "../config/service.js";
import { ConfigurationError } from "../errors.js";
import type { TopicHandler } from "../messaging/consumer/handler.js";
import type { SqlTransaction } from "../sql/sql.js";

/** Every topic a service writes or reads in `FLOWS`: the ones it checks at start-up, and may see. */
export const topicsOf = ({ service, topics }: ServiceConfig) => {
  const { writes, reads } = FLOWS[service];
  return [...new Set<TopicKey>([...writes, ...reads])].map((key) => topics[key]);
};

/** The topics the service's outbox publishes: what it writes in `FLOWS`, but for dead letters (its consumers' own). */
export const publishedTopics = ({ service, topics }: ServiceConfig) =>
  FLOWS[service].writes.filter((key) => key !== "deadLetter").map((key) => topics[key]);

/** The handlers must be exactly the topics the service reads in `FLOWS`: its ACLs are made from that. */
export function checkHandlers({ service, topics }: ServiceConfig, handlers: TopicHandler<SqlTransaction>[]) {
  const reads = (FLOWS[service].reads as readonly TopicKey[]).map((key) => topics[key]).sort();
  const handled = handlers.map((h) => h.topic).sort();
  if (reads.join() !== handled.join()) {
    throw new ConfigurationError(
      `the ${service} service handles ${handled.join(", ") || "no topic"} but reads ${reads.join(", ") || "none"} in FLOWS`,
    );
  }
}
