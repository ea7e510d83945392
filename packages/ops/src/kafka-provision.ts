import { FLOWS, type ServiceName } from "@saga/contracts";
import type { ServiceConfig } from "@saga/platform/config";
import { someInChain } from "@saga/platform/errors";
import kafkajs, { type AclEntry, type Admin, type SASLOptions } from "kafkajs";
import { quietKafka } from "./local.js";
import { serviceConfigs } from "./services.js";

const {
  AclOperationTypes: Op,
  AclPermissionTypes,
  AclResourceTypes: Resource,
  ResourcePatternTypes: Pattern,
} = kafkajs;

const allow = (
  principal: string,
  resourceType: number,
  resourceName: string,
  operation: number,
  resourcePatternType: number = Pattern.LITERAL,
): AclEntry => ({
  principal: `User:${principal}`,
  host: "*",
  resourceType,
  resourceName,
  resourcePatternType,
  operation,
  permissionType: AclPermissionTypes.ALLOW,
});

/**
 * A service's rights, from the saga's data flow: write the topics it owns, read those it consumes
 * (in its own consumer group only), and read the settings of both (its start-up retention check).
 */
export function serviceAcls(service: ServiceName, principal: string, config: ServiceConfig): AclEntry[] {
  const { writes, reads } = FLOWS[service];
  return [
    ...writes.map((key) => allow(principal, Resource.TOPIC, config.topics[key], Op.WRITE)),
    ...reads.map((key) => allow(principal, Resource.TOPIC, config.topics[key], Op.READ)),
    ...[...writes, ...reads].map((key) => allow(principal, Resource.TOPIC, config.topics[key], Op.DESCRIBE_CONFIGS)),
    allow(principal, Resource.GROUP, config.kafka.groupId, Op.READ),
  ];
}

/**
 * The operators' tools (kcat, the Kafka CLI, `pnpm dlq`): read every topic and its settings, see
 * the services' groups and their lag, and read in groups of their own (named `<prefix>operator…`,
 * which they may delete when done). They write nothing: a dead letter is replayed through the
 * outbox of the service that owns its topic.
 */
export function operatorAcls(principal: string, configs: ServiceConfig[]): AclEntry[] {
  const topics = [...new Set(configs.flatMap((config) => Object.values(config.topics)))];
  const prefix = configs[0]?.kafka.topicPrefix ?? "";
  return [
    ...topics.flatMap((topic) => [
      allow(principal, Resource.TOPIC, topic, Op.READ),
      allow(principal, Resource.TOPIC, topic, Op.DESCRIBE_CONFIGS),
    ]),
    ...configs.map((config) => allow(principal, Resource.GROUP, config.kafka.groupId, Op.DESCRIBE)),
    allow(principal, Resource.GROUP, `${prefix}operator`, Op.READ, Pattern.PREFIXED),
    allow(principal, Resource.GROUP, `${prefix}operator`, Op.DELETE, Pattern.PREFIXED),
  ];
}

/**
 * Creates the topics of these services (idempotent; never relying on broker auto-creation) and,
 * with `acls`, grants each service's principal (named as the service) and the operators' theirs.
 */
export async function provisionKafka(admin: Admin, configs: ServiceConfig[], acls: boolean): Promise<void> {
  const first = configs[0];
  if (!first) return;
  await createTopics(admin, first, [...new Set(configs.flatMap((config) => Object.values(config.topics)))]);
  if (!acls) return;
  const entries = [
    ...configs.flatMap((config) => serviceAcls(config.service, config.service, config)),
    ...operatorAcls("operator", configs),
  ];
  await admin.createAcls({ acl: entries });
  await untilAcls(admin, "granted", (visible) => entries.every((acl) => visible.has(aclKey(acl))));
}

/**
 * The topics and (with `login`, a super user's) ACLs of every service in the launcher's list, as
 * `env` configures them, on the brokers it names: what the stack, the bench, the tests and
 * `pnpm kafka:provision` each do before a service starts. Without a login the brokers take none:
 * topics only.
 */
export async function provisionSystem(env: NodeJS.ProcessEnv, login: SASLOptions | undefined): Promise<void> {
  const configs = serviceConfigs(env);
  const brokers = configs[0]?.kafka.brokers ?? [];
  const admin = quietKafka(login, brokers, "provision").admin();
  await admin.connect();
  try {
    await provisionKafka(admin, configs, login !== undefined);
  } finally {
    await admin.disconnect();
  }
}

/** What provisioning granted for one prefix: its topics, its groups, the operators' group prefix. */
export interface Granted {
  topics: string[];
  groups: string[];
  groupPrefixes: string[];
}

/** Removes what provisioning granted these principals (a prefix whose topics are gone). */
export async function revokeAcls(admin: Admin, principals: string[], granted: Granted): Promise<void> {
  const resources = [
    ...granted.topics.map((name) => [Resource.TOPIC, name, Pattern.LITERAL] as const),
    ...granted.groups.map((name) => [Resource.GROUP, name, Pattern.LITERAL] as const),
    ...granted.groupPrefixes.map((name) => [Resource.GROUP, name, Pattern.PREFIXED] as const),
  ];
  const filters = principals.flatMap((principal) =>
    resources.map(([resourceType, resourceName, resourcePatternType]) => ({
      resourceType,
      resourceName,
      resourcePatternType,
      principal: `User:${principal}`,
      host: "*",
      operation: Op.ANY,
      permissionType: AclPermissionTypes.ANY,
    })),
  );
  if (filters.length === 0) return;
  await admin.deleteAcls({ filters });
  const revoked = new Set(principals.map((principal) => `User:${principal}`));
  const names = new Set(resources.map(([, name]) => name));
  await untilAcls(admin, "revoked", (_, entries) =>
    entries.every((acl) => !revoked.has(acl.principal) || !names.has(acl.resourceName)),
  );
}

type Acl = Pick<AclEntry, "principal" | "resourceType" | "resourceName" | "resourcePatternType" | "operation">;
const aclKey = (acl: Acl) =>
  [acl.principal, acl.resourceType, acl.resourceName, acl.resourcePatternType, acl.operation].join("|");

/**
 * A broker answers createAcls and deleteAcls once the controller has them, and applies them to its
 * authorizer moments later: until then a service that starts may be refused, and a describe may not
 * show them. Wait (bounded) until the brokers' view agrees.
 */
async function untilAcls(
  admin: Admin,
  what: string,
  done: (visible: Set<string>, entries: Acl[]) => boolean,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { resources } = await admin.describeAcls({
      resourceType: Resource.ANY,
      resourcePatternType: Pattern.ANY,
      operation: Op.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    const entries = resources.flatMap(({ resourceType, resourceName, resourcePatternType, acls }) =>
      acls.map(({ principal, operation }) => ({
        principal,
        resourceType,
        resourceName,
        resourcePatternType,
        operation,
      })),
    );
    if (done(new Set(entries.map(aclKey)), entries)) return;
    if (attempt >= 50) throw new Error(`the brokers did not show the ACLs ${what} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const SETTLING = new Set(["UNKNOWN_TOPIC_OR_PARTITION", "LEADER_NOT_AVAILABLE", "TOPIC_ALREADY_EXISTS"]);

async function createTopics(admin: Admin, config: ServiceConfig, topics: string[]): Promise<void> {
  // Just after a topic is created, the broker may not yet know its partitions (and another
  // provisioner may be creating it too): those answers pass within moments, so try again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await createMissing(admin, config, topics);
    } catch (err) {
      if (attempt >= 5 || !someInChain(err, (e) => SETTLING.has(e.type as string))) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

async function createMissing(admin: Admin, { kafka }: ServiceConfig, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: kafka.partitions,
      replicationFactor: kafka.replicationFactor,
      configEntries: [
        { name: "retention.ms", value: String(kafka.retentionMs) },
        ...(kafka.replicationFactor > 1
          ? [{ name: "min.insync.replicas", value: String(Math.min(2, kafka.replicationFactor)) }]
          : []),
      ],
    })),
  });
}
