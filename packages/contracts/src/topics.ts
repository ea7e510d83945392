/** Topic names without the deployment's prefix (see `KAFKA_TOPIC_PREFIX`). */
export const TOPIC = {
  roomReserve: "room-reserve",
  roomCancel: "room-cancel",
  roomChange: "room-change",
  transactionResult: "transaction-result",
  paymentRequest: "payment-request",
  paymentResult: "payment-result",
  deadLetter: "dead-letter",
} as const;

export type TopicKey = keyof typeof TOPIC;
export type Topics = Record<TopicKey, string>;

export function topicNames(prefix = ""): Topics {
  return Object.fromEntries(Object.entries(TOPIC).map(([key, name]) => [key, `${prefix}${name}`])) as Topics;
}
