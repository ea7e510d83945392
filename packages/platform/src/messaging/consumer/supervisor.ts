import type { FastifyBaseLogger } from "fastify";
import type { Consumer, EachBatchPayload } from "kafkajs";
import { Pauses } from "../../pauses.js";
import { OffsetCommitter } from "./offset-committer.js";

export interface SupervisorOptions {
  create(): Consumer;
  topics: string[];
  eachBatch(offsets: OffsetCommitter): (payload: EachBatchPayload) => Promise<void>;
  partitionsConsumedConcurrently: number;
  log: FastifyBaseLogger;
  /** Restarts after crashes kafkajs will not recover from, with no batch handled in between, before giving up. */
  restarts: number;
  /** The wait before the first restart; each next one waits twice as long, at most 30 s. */
  restartPauseMs: number;
  /** Called once the consumer cannot be restarted: the service should exit for its supervisor to restart it. */
  onGiveUp(err: Error): void;
}

interface Member {
  consumer: Consumer;
  offsets: OffsetCommitter;
}

/**
 * Keeps one member of the consumer group running. kafkajs restarts a consumer by itself after most
 * failures, but not after one it judges non-retriable (a protocol error, an authorization failure,
 * a record it cannot decode, an error thrown by the handler's own bug): it only emits a crash, and
 * nothing consumes while the process looks healthy. Here such a crash makes the consumer not alive
 * (liveness fails), and a new consumer joins in its place after a pause; after `restarts` such
 * crashes in a row with nothing handled, `onGiveUp` is called.
 */
export class Supervisor {
  private member: Member | undefined;
  private joined = false;
  private alive = true;
  private crashes = 0;
  private stopped = false;
  private readonly pauses = new Pauses();
  private restarting: Promise<void> | undefined;

  constructor(private readonly options: SupervisorOptions) {}

  isJoined(): boolean {
    return this.joined;
  }

  /** False from a crash kafkajs will not recover from until a new consumer has joined the group. */
  isAlive(): boolean {
    return this.alive;
  }

  /** Connects and subscribes; joining the group goes on in the background (readiness tells when it has). */
  async start(): Promise<void> {
    this.member = await this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.pauses.cutShort();
    await this.restarting;
    const member = this.member;
    this.member = undefined;
    if (!member) return;
    // Offsets of what was applied are committed while still in the group, then it leaves.
    await member.offsets.flush();
    await member.consumer.disconnect();
  }

  private async run(): Promise<Member> {
    const { create, topics, eachBatch, partitionsConsumedConcurrently, log } = this.options;
    const consumer = create();
    const offsets = new OffsetCommitter(consumer, log);
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
      this.alive = true;
    });
    consumer.on(consumer.events.STOP, () => {
      this.joined = false;
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.joined = false;
      log.error({ err: payload.error, restart: payload.restart }, "consumer crashed");
      if (!payload.restart && this.member?.consumer === consumer) this.restarting = this.replace(payload.error);
    });
    const handle = eachBatch(offsets);
    const counted = async (payload: EachBatchPayload) => {
      await handle(payload);
      this.crashes = 0;
    };
    try {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      // Not awaited: joining the group may wait for a dead member's session to expire, and the
      // service should serve HTTP meanwhile.
      consumer
        .run({ partitionsConsumedConcurrently, eachBatchAutoResolve: false, autoCommit: false, eachBatch: counted })
        .catch((err: Error) => log.error({ err }, "consumer stopped"));
    } catch (err) {
      await consumer
        .disconnect()
        .catch((cause: Error) => log.debug({ err: cause.message }, "unstarted consumer not closed"));
      throw err;
    }
    return { consumer, offsets };
  }

  private async replace(cause: Error): Promise<void> {
    this.alive = false;
    let last = cause;
    while (!this.stopped) {
      this.crashes += 1;
      if (this.crashes > this.options.restarts) {
        this.options.log.fatal(
          { err: last, restarts: this.options.restarts },
          "consumer cannot be restarted; giving up",
        );
        this.options.onGiveUp(last);
        return;
      }
      const pause = Math.min(this.options.restartPauseMs * 2 ** (this.crashes - 1), 30_000);
      this.options.log.warn({ attempt: this.crashes, pauseMs: pause }, "restarting the consumer");
      await this.pauses.wait(pause);
      if (this.stopped) return;
      try {
        this.member = await this.run();
        return;
      } catch (err) {
        last = err as Error;
      }
    }
  }
}
