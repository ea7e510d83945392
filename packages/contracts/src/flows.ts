import type { TopicKey } from "./topics.js";

/**
 * Who writes and who reads each topic: the saga's data flow. The broker's ACLs are made from it,
 * so a service can write only the topics it owns and read only those it consumes.
 */
export const FLOWS = {
  reservation: { writes: ["roomReserve", "roomCancel", "deadLetter"], reads: ["transactionResult"] },
  room: { writes: ["transactionResult", "deadLetter"], reads: ["roomReserve", "roomCancel"] },
} as const satisfies Record<string, { writes: readonly TopicKey[]; reads: readonly TopicKey[] }>;

export type ServiceName = keyof typeof FLOWS;
