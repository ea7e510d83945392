import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const KAFKA_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../infra/kafka/kafka.sh");

export interface KafkaCeilingOptions {
  /** Bootstrap servers, comma separated. */
  brokers: string;
  /** A Java client properties file to log in with (the stack's admin.properties): the tools make a topic of their own. */
  clientConfig?: string;
  /** The longest each Kafka tool may run before the measurement is abandoned. Default 180. */
  seconds?: number;
  records: number;
  recordSize: number;
  onProgress?: (msg: string) => void;
}

export interface KafkaCeiling {
  producerRecordsPerSecond: number;
  /** At full throttle this is mostly time queued in the producer's buffer, not the broker's. */
  producerAvgLatencyMs: number;
  producerP99Ms: number;
  /** nMsg.sec: records over the consumer's whole run, group join included. */
  consumerRecordsPerSecond: number;
  /** fetch.nMsg.sec: records over the time spent fetching, group join excluded. */
  consumerFetchRecordsPerSecond: number;
}

/** A Kafka tool through kafka.sh; without a login to give it, kafka.sh must not add the operator's. */
async function kafka(args: string[], timeoutMs: number, loggedIn: boolean): Promise<string> {
  const env = { ...process.env, KAFKA_SECURITY: loggedIn ? "sasl" : "none" };
  const { stdout } = await run("bash", [KAFKA_SCRIPT, ...args], {
    env,
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/** "N records sent, X records/sec (.. MB/sec), A ms avg latency, M ms max latency, p50 ms 50th, .., p99 ms 99th, ..". */
function parseProducer(stdout: string) {
  const summary = stdout
    .split("\n")
    .reverse()
    .find((line) => line.includes("99th"));
  const match = summary && /([\d.]+) records\/sec .*?([\d.]+) ms avg latency.*?([\d.]+) ms 99th/.exec(summary);
  if (!match) throw new Error(`no summary line in ProducerPerformance output:\n${stdout}`);
  return {
    producerRecordsPerSecond: Number(match[1]),
    producerAvgLatencyMs: Number(match[2]),
    producerP99Ms: Number(match[3]),
  };
}

/** ConsumerPerformance prints a CSV header and one line of values. */
function parseConsumer(stdout: string) {
  const lines = stdout.split("\n").map((line) => line.trim());
  const headerAt = lines.findIndex((line) => line.startsWith("start.time"));
  const header = lines[headerAt]?.split(/,\s*/) ?? [];
  const values = lines[headerAt + 1]?.split(/,\s*/) ?? [];
  const column = (name: string) => {
    const value = Number(values[header.indexOf(name)]);
    if (!Number.isFinite(value)) throw new Error(`no ${name} in ConsumerPerformance output:\n${stdout}`);
    return value;
  };
  return { consumerRecordsPerSecond: column("nMsg.sec"), consumerFetchRecordsPerSecond: column("fetch.nMsg.sec") };
}

/**
 * What the broker takes with Kafka's own load tools, as the relay produces (acks=all, idempotent):
 * a scratch topic of 6 partitions, ProducerPerformance at full throttle, then ConsumerPerformance
 * reading every record back. Each tool is a fresh JVM, so its start-up (about a second) is not in
 * the figures but is in the wall time.
 */
export async function measureKafkaCeiling(opts: KafkaCeilingOptions): Promise<KafkaCeiling> {
  const progress = opts.onProgress ?? (() => {});
  const timeoutMs = (opts.seconds ?? 180) * 1000;
  const bootstrap = opts.brokers.split(",")[0] ?? opts.brokers;
  const topic = `bench-ceiling-${randomBytes(4).toString("hex")}`;
  const login = (option: string) => (opts.clientConfig ? [option, opts.clientConfig] : []);
  const admin = ["topics", "--bootstrap-server", bootstrap, ...login("--command-config")];
  const loggedIn = Boolean(opts.clientConfig);
  await kafka([...admin, "--create", "--topic", topic, "--partitions", "6"], 60_000, loggedIn);
  try {
    progress(`perf-producer: ${opts.records} records of ${opts.recordSize} B to ${topic}`);
    const produced = parseProducer(
      await kafka(
        [
          "perf-producer",
          "--topic",
          topic,
          "--num-records",
          String(opts.records),
          "--record-size",
          String(opts.recordSize),
          "--throughput",
          "-1",
          ...login("--producer.config"),
          "--producer-props",
          `bootstrap.servers=${opts.brokers}`,
          "acks=all",
          "enable.idempotence=true",
        ],
        timeoutMs,
        loggedIn,
      ),
    );
    progress(`perf-producer: ${produced.producerRecordsPerSecond.toFixed(0)} records/s`);
    const consumed = parseConsumer(
      await kafka(
        [
          "perf-consumer",
          "--bootstrap-server",
          opts.brokers,
          "--topic",
          topic,
          "--messages",
          String(opts.records),
          ...login("--consumer.config"),
        ],
        timeoutMs,
        loggedIn,
      ),
    );
    progress(`perf-consumer: ${consumed.consumerRecordsPerSecond.toFixed(0)} records/s`);
    return { ...produced, ...consumed };
  } finally {
    await kafka([...admin, "--delete", "--topic", topic], 60_000, loggedIn).catch((err: Error) =>
      progress(`could not delete topic ${topic}: ${err.message}`),
    );
  }
}
