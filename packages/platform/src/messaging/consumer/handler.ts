import type { z } from "zod";

export interface MessageContext {
  topic: string;
  partition: number;
  offset: string;
  /** The trace headers of the message (of its span, when spans are made), for the messages it causes (a reply). */
  trace?: Record<string, string>;
  /** Its trace's id, for the history of what it changed. */
  traceId?: string;
}

export interface Delivered<T> {
  message: T;
  context: MessageContext;
}

/** What a handler wants done once its transaction committed (count what it did, say), and only then. */
export type AfterCommit = () => void;

/**
 * One topic's entry point: a schema for its payload and the domain call it makes inside the
 * transaction it is given, for a chunk of messages in order (so a domain function can apply a
 * chunk in a few set-based statements instead of a few statements per message). `orderKey` names
 * what must stay in order (a room, a reservation); `id` is the message's own id, by which a
 * `PermanentMessageError` can name the one message that can never apply. What `handle` returns
 * runs after the commit: a chunk rolled back and applied again is not counted twice.
 */
export interface TopicHandler<Tx, S extends z.ZodType = z.ZodType> {
  topic: string;
  schema: S;
  orderKey(message: z.output<S>): string;
  id(message: z.output<S>): string;
  handle(tx: Tx, messages: Delivered<z.output<S>>[]): Promise<void> | Promise<AfterCommit>;
}

export function topicHandler<Tx, S extends z.ZodType>(handler: TopicHandler<Tx, S>): TopicHandler<Tx> {
  return handler as unknown as TopicHandler<Tx>;
}

/** A handler for one of the saga's contract messages, whose own id is its `messageId`. */
export function messageHandler<Tx, S extends z.ZodType<{ messageId: string }>>(
  handler: Omit<TopicHandler<Tx, S>, "id">,
): TopicHandler<Tx> {
  return topicHandler<Tx, S>({ ...handler, id: (message) => message.messageId });
}
