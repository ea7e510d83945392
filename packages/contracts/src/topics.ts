/** Topic names without the deployment's prefix (see `KAFKA_TOPIC_PREFIX`). */
export const TOPIC = {
  roomReserve: "room-reserve",
  roomCancel: "room-cancel",
  transactionResult: "transaction-result",
  deadLetter: "dead-letter",
} as const;

export type TopicKey = keyof typeof TOPIC;
export type Topics = Record<TopicKey, string>;

export function topicNames(prefix = ""): Topics {
  return {
    roomReserve: `${prefix}${TOPIC.roomReserve}`,
    roomCancel: `${prefix}${TOPIC.roomCancel}`,
    transactionResult: `${prefix}${TOPIC.transactionResult}`,
    deadLetter: `${prefix}${TOPIC.deadLetter}`,
  };
}
