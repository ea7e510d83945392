// @saga/platform/messaging: Kafka entry points (consumers, the inbox, dead letters) and the way out
// (the transactional outbox and its relay).
export { PermanentMessageError } from "../errors.js";
export { DeadLetters, REPLAY_COUNT_HEADER } from "./consumer/dead-letters.js";
export {
  type AfterCommit,
  type Delivered,
  type MessageContext,
  messageHandler,
  type TopicHandler,
  topicHandler,
} from "./consumer/handler.js";
export { type RunningConsumer, startConsumer } from "./consumer/start.js";
export { recordDeliveries } from "./inbox.js";
export { createKafka } from "./kafka/client.js";
export { Publisher } from "./kafka/publisher.js";
export { OUTBOX_CHANNEL, type OutboxEntry, outboxInsert } from "./outbox/outbox.js";
export { type OutboxRelay, type OutboxRelayOptions, startOutboxRelay } from "./outbox/relay.js";
export { RELAY_LOCK, RelaySession } from "./outbox/relay-session.js";
