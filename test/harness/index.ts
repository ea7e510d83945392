// The test harness: what a test needs to start a system and look at what it did. Start here.
// Special-purpose parts are imported from their own files: contracts.ts (the published OpenAPI and
// AsyncAPI documents), arbitraries.ts (fast-check values), schema-drift.ts (Prisma schema against
// a database), containers.ts (testcontainers). See test/README.md.

// The invariant that matters (every booking's state against the nights held), and faults: a paced
// burst, and the report every fault test ends with.
export { checkInvariant, invariantHolds } from "@saga/ops/invariant";
// Starting a system: every service on databases, topics and groups of its own.
export { kafkaClient, kafkaLogin, operatorDatabaseUrls, provisionKafkaFor, serviceDatabaseUrl } from "./access.js";
export { freshDatabases } from "./databases.js";
export { asChunk, type DomainDatabase, domainDatabase, insertRoom } from "./domain.js";
// Acting as a guest, staff or an operator, and waiting for what follows.
export { aBooking, aStay, createRoom, creditDeposit, prepaid } from "./factories.js";
export {
  bookAfterRestart,
  burst,
  burstUnderway,
  createRooms,
  expectNothingLost,
  faultReport,
  fundGuests,
  liveCheck,
  reconcile,
  untilAccepted,
  waitAllFinal,
} from "./faults.js";
export {
  type LocalBroker,
  type LocalCluster,
  startLocalBroker,
  startLocalCluster,
} from "./infrastructure.js";
export {
  alterTopic,
  client,
  createTopics,
  deleteAllRecords,
  produce,
  produceCompressed,
  recordTopic,
} from "./kafka.js";
export { type MetricSample, sampleValue, scrape } from "./metrics.js";
export { http, type ServiceProcess, spawnService } from "./processes.js";
export { availability, book, FINAL, getBooking, waitForStatus } from "./saga.js";
export { queryNumber, queryRows } from "./sql.js";
export {
  type AppSystem,
  ProcessSystem,
  startApp,
  startSystem,
  testEnv,
  uniquePrefix,
} from "./system.js";
export { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";
export { asGuest, asStaff, bearer, tokens } from "./tokens.js";
export { waitFor } from "./wait.js";
