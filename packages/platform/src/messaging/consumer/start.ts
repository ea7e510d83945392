import type { FastifyBaseLogger } from "fastify";
import type { Kafka } from "kafkajs";
import { PARTITIONS_CONSUMED_CONCURRENTLY } from "../../config/service.js";
import { Pauses } from "../../pauses.js";
import { BatchConsumer } from "./batches.js";
import type { DeadLetters } from "./dead-letters.js";
import type { TopicHandler } from "./handler.js";
import { Supervisor } from "./supervisor.js";

export interface ConsumerOptions<Tx> {
  kafka: Kafka;
  groupId: string;
  handlers: TopicHandler<Tx>[];
  /** Runs `fn` in one database transaction. */
  transaction<R>(fn: (tx: Tx) => Promise<R>): Promise<R>;
  deadLetters: DeadLetters;
  log: FastifyBaseLogger;
  /** How many partitions' batches are applied at once (default PARTITIONS_CONSUMED_CONCURRENTLY). */
  partitionsConsumedConcurrently?: number;
  /** Messages applied in one transaction at most (default 200). */
  chunkSize?: number;
  /** After a batch of fewer than `chunkSize` messages, wait this long before the next fetch (default 0). */
  lingerMs?: number;
  /** Tries at a chunk failing with an error that may recur before it is split (default 3). */
  attempts?: number;
  /** Restarts after crashes kafkajs does not recover from, before `onGiveUp` (default 5). */
  restarts?: number;
  restartPauseMs?: number;
  onGiveUp?(err: Error): void;
  /** `count` messages of `topic` were applied, their transaction committed. */
  onApplied?(topic: string, count: number): void;
  /** A span for each message applied and each transaction (default false). */
  tracing?: boolean;
}

export interface RunningConsumer {
  /** True while the consumer is a member of its group. */
  isJoined(): boolean;
  /** False while a crashed consumer waits for its replacement, and for good once that failed. */
  isAlive(): boolean;
  /** Finishes the chunks under way, commits their offsets while still in the group, then leaves it. */
  stop(): Promise<void>;
}

/** Runs a consumer group over the handlers' topics (see BatchConsumer and Supervisor). */
export async function startConsumer<Tx>(options: ConsumerOptions<Tx>): Promise<RunningConsumer> {
  const retryPauses = new Pauses();
  const batches = new BatchConsumer({
    handlers: options.handlers,
    transaction: options.transaction,
    deadLetters: options.deadLetters,
    chunkSize: options.chunkSize ?? 200,
    lingerMs: options.lingerMs ?? 0,
    onApplied: options.onApplied,
    tracing: options.tracing ?? false,
    log: options.log,
    isolation: { attempts: options.attempts ?? 3, pause: (attempt) => retryPauses.wait(100 * 2 ** (attempt - 1)) },
  });
  const supervisor = new Supervisor({
    create: () =>
      options.kafka.consumer({
        groupId: options.groupId,
        allowAutoTopicCreation: false,
        sessionTimeout: 10_000,
        heartbeatInterval: 3_000,
        rebalanceTimeout: 20_000,
      }),
    topics: batches.topics,
    eachBatch: (offsets) => batches.eachBatch(offsets),
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? PARTITIONS_CONSUMED_CONCURRENTLY,
    log: options.log,
    restarts: options.restarts ?? 5,
    restartPauseMs: options.restartPauseMs ?? 1_000,
    onGiveUp: options.onGiveUp ?? (() => {}),
  });
  await supervisor.start();
  let stopped: Promise<void> | undefined;
  return {
    isJoined: () => supervisor.isJoined(),
    isAlive: () => supervisor.isAlive(),
    stop: () => {
      stopped ??= (async () => {
        retryPauses.cutShort();
        await batches.drain();
        await supervisor.stop();
      })();
      return stopped;
    },
  };
}
