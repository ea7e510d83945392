import kafkajs, { type Admin } from "kafkajs";
import type { KafkaConfig } from "../../config/service.js";
import { ConfigurationError } from "../../errors.js";

/**
 * Checks, at start-up, that the topics this service uses exist and that none keeps its records
 * longer than `retentionMs`, the retention the inbox's horizon is reckoned from (the inbox could
 * forget a message Kafka can still deliver again). A service never creates topics: its principal
 * may not, and provisioning (`provisionKafka`) is the stack's or an operator's.
 */
export async function checkTopics(admin: Admin, config: KafkaConfig, topics: string[]): Promise<void> {
  const visible = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !visible.has(topic));
  if (missing.length > 0) {
    throw new ConfigurationError(
      `topics missing, or not visible to ${config.principal}: ${missing.join(", ")}; ` +
        "the stack provisions them and their ACLs (`pnpm stack:up`), an operator with `pnpm kafka:provision`",
    );
  }
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
