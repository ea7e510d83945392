import type { TopicKey } from "./topics.js";

/**
 * The saga's services and its data flow: where each service listens unless told otherwise (its
 * HTTP address is how guests and operators reach it), which topics it writes and which it reads.
 * The broker's ACLs are made from it, so a service can write only the topics it owns and read only
 * those it consumes; its outbox publishes what it writes, its consumers take what it reads.
 */
export const FLOWS = {
  reservation: {
    port: 3000,
    writes: ["roomReserve", "roomCancel", "roomChange", "paymentRequest", "deadLetter"],
    reads: ["transactionResult", "paymentResult"],
  },
  room: {
    port: 3001,
    writes: ["transactionResult", "deadLetter"],
    reads: ["roomReserve", "roomCancel", "roomChange"],
  },
  payment: { port: 3002, writes: ["paymentResult", "deadLetter"], reads: ["paymentRequest"] },
} as const satisfies Record<string, { port: number; writes: readonly TopicKey[]; reads: readonly TopicKey[] }>;

export type ServiceName = keyof typeof FLOWS;
