import kafkajs, { type Admin } from "kafkajs";
import type { KafkaConfig } from "../config.js";
import { ConfigurationError, someInChain } from "../errors.js";

/**
 * Creates the topics this service uses (idempotent); never relies on broker auto-creation. Each
 * keeps its records for `retentionMs`, the retention the inbox's horizon is reckoned from; a topic
 * that already exists and keeps them longer is refused, since the inbox could forget a message
 * Kafka can still deliver again.
 */
export async function ensureTopics(admin: Admin, config: KafkaConfig, topics: string[]): Promise<void> {
  // Just after a topic is created, the broker may not yet know its partitions (and another instance
  // may be creating it too): those answers pass within moments, so the whole step is tried again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await createMissing(admin, config, topics);
    } catch (err) {
      if (attempt >= 5 || !settling(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

const SETTLING = new Set(["UNKNOWN_TOPIC_OR_PARTITION", "LEADER_NOT_AVAILABLE", "TOPIC_ALREADY_EXISTS"]);

/** True when kafkajs' error (or one it wraps) is only the broker settling. */
const settling = (err: unknown) => someInChain(err, (e) => SETTLING.has(e.type as string));

async function createMissing(admin: Admin, config: KafkaConfig, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: config.partitions,
        replicationFactor: config.replicationFactor,
        configEntries: [
          { name: "retention.ms", value: String(config.retentionMs) },
          ...(config.replicationFactor > 1
            ? [{ name: "min.insync.replicas", value: String(Math.min(2, config.replicationFactor)) }]
            : []),
        ],
      })),
    });
  }
  await checkRetention(admin, config, topics);
}

async function checkRetention(admin: Admin, config: KafkaConfig, topics: string[]): Promise<void> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: ["retention.ms"] })),
  });
  const longer = resources.flatMap((resource) => {
    const value = Number(resource.configEntries.find((e) => e.configName === "retention.ms")?.configValue);
    return value < 0 || value > config.retentionMs ? [`${resource.resourceName} (${value} ms)`] : [];
  });
  if (longer.length > 0) {
    throw new ConfigurationError(
      `topics keep records longer than KAFKA_RETENTION_MS (${config.retentionMs} ms): ${longer.join(", ")}; ` +
        "raise KAFKA_RETENTION_MS (and RETENTION_HORIZON_MS) or lower the topics' retention.ms",
    );
  }
}
