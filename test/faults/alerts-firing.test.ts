import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type LaunchedService, launchReconciler } from "@saga/ops/launch";
import { ROOT } from "@saga/ops/local";
import { freePortPair } from "@saga/ops/ports";
import { SERVICES } from "@saga/ops/services";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  asStaff,
  burst,
  createRooms,
  deleteAllRecords,
  http,
  operatorDatabaseUrls,
  type ProcessSystem,
  produce,
  queryNumber,
  startSystem,
  waitAllFinal,
  waitFor,
} from "../harness/index.js";

interface Alert {
  labels: Record<string, string>;
  state: "pending" | "firing";
}

/**
 * The committed rules (infra/prometheus/alerts.yml) with their time parameters shortened: every
 * `for` to 1 s and every range window to 20 s, so that an alert fires within seconds of its series
 * and clears 20 s after the fault is repaired. The expressions, labels and thresholds are the
 * committed ones; `pnpm alerts:test` tests the committed durations.
 */
async function rulesForTheTest(): Promise<string> {
  const committed = await readFile(path.join(ROOT, "infra", "prometheus", "alerts.yml"), "utf8");
  return committed.replace(/\bfor: \S+/g, "for: 1s").replace(/\[\d+[smh]\]/g, "[20s]");
}

/** The live reconciler over the system's databases, as the operators' role, passing every half second. */
async function startReconciler(system: ProcessSystem, port?: number): Promise<LaunchedService> {
  const urls = operatorDatabaseUrls(system.databases);
  const reconciler = launchReconciler({
    env: {
      ...process.env,
      RECONCILER_ROOM_DATABASE_URL: urls.room,
      RECONCILER_RESERVATION_DATABASE_URL: urls.reservation,
      RECONCILER_PAYMENT_DATABASE_URL: urls.payment,
      RECONCILE_INTERVAL_MS: "500",
    },
    port: port ?? (await freePortPair()),
    output: "inherit-stderr",
  });
  await reconciler.ready();
  return reconciler;
}

interface RoutedAlert {
  labels: Record<string, string>;
  status: { state: "active" | "suppressed" | "unprocessed"; inhibitedBy: string[] };
}

/**
 * One of Debian's Prometheus daemons on a free loopback port, with a temporary folder of its own:
 * started with the flags `args` gives for them, ready once its `/-/ready` answers 200.
 */
async function startDaemon(binary: string, pkg: string, args: (dir: string, address: string) => string[]) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `${binary}-`));
  const address = `127.0.0.1:${await freePortPair()}`;
  const child: ChildProcess = spawn(binary, args(dir, address), { stdio: "ignore" });
  const url = `http://${address}`;
  await waitFor(
    () => fetch(`${url}/-/ready`).then((res) => res.status),
    (status) => status === 200,
    { what: `${binary} to be ready (apt-get install ${pkg})`, timeoutMs: 60_000 },
  );
  return {
    dir,
    address,
    url,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's Alertmanager with the committed configuration (infra/prometheus/alertmanager.yml). */
async function startAlertmanager() {
  const daemon = await startDaemon("prometheus-alertmanager", "prometheus-alertmanager", (dir, address) => [
    `--config.file=${path.join(ROOT, "infra", "prometheus", "alertmanager.yml")}`,
    `--storage.path=${dir}`,
    `--web.listen-address=${address}`,
    "--cluster.listen-address=",
  ]);
  return {
    ...daemon,
    async alerts(): Promise<RoutedAlert[]> {
      return (await fetch(`${daemon.url}/api/v2/alerts`)).json() as Promise<RoutedAlert[]>;
    },
  };
}

type Alertmanager = Awaited<ReturnType<typeof startAlertmanager>>;

/** Debian's Prometheus, evaluating the rules every second over the system's three services and its reconciler. */
async function startPrometheus(system: ProcessSystem, reconciler: LaunchedService, alertmanager: Alertmanager) {
  const targets = [
    ...SERVICES.map((name) => ({ targets: [new URL(system.url(name)).host], labels: { job: name } })),
    { targets: [new URL(reconciler.url).host], labels: { job: "reconciler" } },
  ];
  const config = JSON.stringify({
    global: { scrape_interval: "1s", evaluation_interval: "1s" },
    rule_files: ["alerts.yml"],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanager.address] }] }] },
    scrape_configs: [{ job_name: "services", static_configs: targets }],
  });
  const rules = await rulesForTheTest();
  const daemon = await startDaemon("prometheus", "prometheus", (dir, address) => {
    // Written before the daemon starts, which reads them at once.
    writeFileSync(path.join(dir, "alerts.yml"), rules);
    writeFileSync(path.join(dir, "prometheus.yml"), config);
    return [
      `--config.file=${path.join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=${address}`,
    ];
  });
  return {
    ...daemon,
    async alerts(): Promise<Alert[]> {
      const res = await fetch(`${daemon.url}/api/v1/alerts`);
      return ((await res.json()) as { data: { alerts: Alert[] } }).data.alerts;
    },
  };
}

type Prometheus = Awaited<ReturnType<typeof startPrometheus>>;

const matches = (alert: { labels: Record<string, string> }, labels: Record<string, string>) =>
  Object.entries(labels).every(([name, value]) => alert.labels[name] === value);

/** Until Prometheus reports the alert with these labels firing. */
const untilFiring = (prometheus: Prometheus, labels: Record<string, string>) =>
  waitFor(
    () => prometheus.alerts(),
    (alerts) => alerts.some((a) => a.state === "firing" && matches(a, labels)),
    { what: `${JSON.stringify(labels)} to fire`, timeoutMs: 120_000, intervalMs: 500 },
  );

/** Until Alertmanager holds the alert with these labels, in this state. */
const untilRouted = (
  alertmanager: Alertmanager,
  labels: Record<string, string>,
  state: RoutedAlert["status"]["state"],
) =>
  waitFor(
    () => alertmanager.alerts(),
    (alerts) => alerts.some((a) => a.status.state === state && matches(a, labels)),
    { what: `${JSON.stringify(labels)} ${state} in Alertmanager`, timeoutMs: 120_000, intervalMs: 500 },
  );

/** Until no alert with these labels is pending or firing. */
const untilCleared = (prometheus: Prometheus, labels: Record<string, string>) =>
  waitFor(
    () => prometheus.alerts(),
    (alerts) => !alerts.some((a) => matches(a, labels)),
    { what: `${JSON.stringify(labels)} to clear`, timeoutMs: 120_000, intervalMs: 500 },
  );

// The alerting rules against faults staged on a real system: Prometheus scrapes the three service
// processes, evaluates the committed rules, and its own alerts API says what fires and when it clears.
describe("alerts fire on staged faults and clear once they are repaired", () => {
  let system: ProcessSystem;
  let reconciler: LaunchedService;
  let prometheus: Prometheus;
  let alertmanager: Alertmanager;
  beforeAll(async () => {
    // A cancel unconfirmed for 2 s is past its deadline (CANCEL_RESEND_MAX_MS), resent every second.
    system = await startSystem({ processes: true, env: { CANCEL_RESEND_MS: "1000", CANCEL_RESEND_MAX_MS: "2000" } });
    reconciler = await startReconciler(system);
    alertmanager = await startAlertmanager();
    prometheus = await startPrometheus(system, reconciler, alertmanager);
    await waitFor(
      () => prometheus.alerts(),
      (alerts) => alerts.length === 0,
      { what: "a healthy system to fire nothing", timeoutMs: 60_000, intervalMs: 500 },
    );
  });
  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await reconciler?.stop();
    await system?.stop();
  });

  it("when the room service is stopped, then ServiceDown fires for it and reaches Alertmanager, and clears once it is back", async () => {
    const { code } = await system.service("room").kill("SIGTERM");
    expect(code).toBe(0);
    await untilFiring(prometheus, { alertname: "ServiceDown", job: "room" });
    await untilRouted(alertmanager, { alertname: "ServiceDown", job: "room", severity: "critical" }, "active");

    await system.start("room");
    await untilCleared(prometheus, { alertname: "ServiceDown", job: "room" });
  });

  it("when a poison message reaches the room service, then DeadLetters fires for its topic, and clears once none follows", async () => {
    await produce(system.topics.roomReserve, [{ key: "poison", value: "this is not JSON" }]);
    await untilFiring(prometheus, { alertname: "DeadLetters", job: "room" });

    await untilCleared(prometheus, { alertname: "DeadLetters", job: "room" });
  });

  it("when a room-cancel is deleted from its topic, then SagaPastDeadline fires for CANCEL_PENDING, and clears once the cancel is sent again and confirmed", async () => {
    const rooms = await createRooms(system, [2]);
    const load = burst(system, rooms, 3, 10);
    await load.done;
    await waitAllFinal(system, load.accepted);
    const { code } = await system.service("room").kill("SIGTERM");
    expect(code).toBe(0);
    const [id] = load.accepted as [string];
    const cancel = await http<{ status: string }>(`${system.url("reservation")}/reservations/${id}/cancel`, {
      method: "POST",
      headers: asStaff(),
    });
    expect(cancel.body.status).toBe("CANCEL_PENDING");
    await waitFor(
      () => queryNumber(system.databases.reservation, `SELECT count(*)::int AS "n" FROM "outbox"`),
      (n) => n === 0,
      { what: "the room-cancel to be published" },
    );
    await deleteAllRecords(system.topics.roomCancel);
    await untilFiring(prometheus, { alertname: "SagaPastDeadline", job: "reservation", status: "CANCEL_PENDING" });

    await system.start("room");
    expect(await waitAllFinal(system, [id])).toEqual({ CANCEL: 1 });
    await untilCleared(prometheus, { alertname: "SagaPastDeadline", job: "reservation" });
  });

  it("when a night's taken count is changed by hand, then InvariantBroken fires for nights, and clears once it is put right", async () => {
    const rooms = await createRooms(system, [3]);
    const load = burst(system, rooms, 3, 10);
    await load.done;
    await waitAllFinal(system, load.accepted);
    const night = `UPDATE "room_nights" SET "taken" = "taken" + $2
      WHERE ("room_id", "date") = (SELECT "room_id", "date" FROM "room_nights" WHERE "room_id" = $1 ORDER BY "date" LIMIT 1)`;
    const [roomId] = rooms as [string];

    await queryNumber(system.databases.room, night, [roomId, 1]);
    await untilFiring(prometheus, { alertname: "InvariantBroken", job: "reconciler", kind: "night" });
    const found = await http<{ discrepancies: { kind: string; line: string }[] }>(`${reconciler.url}/discrepancies`);
    expect(found.body.discrepancies).toEqual([
      expect.objectContaining({ kind: "night", line: expect.stringMatching(new RegExp(`^room ${roomId} night `)) }),
    ]);

    await queryNumber(system.databases.room, night, [roomId, -1]);
    await untilCleared(prometheus, { alertname: "InvariantBroken" });
  });

  it("when the reconciler stops, then InvariantUnchecked fires, Alertmanager holds it back behind the reconciler's ServiceDown, and both clear once it is back", async () => {
    await reconciler.stop();
    await untilFiring(prometheus, { alertname: "InvariantUnchecked" });
    await untilFiring(prometheus, { alertname: "ServiceDown", job: "reconciler" });
    await untilRouted(alertmanager, { alertname: "ServiceDown", job: "reconciler" }, "active");
    await untilRouted(alertmanager, { alertname: "InvariantUnchecked" }, "suppressed");

    reconciler = await startReconciler(system, Number(new URL(reconciler.url).port));
    await untilCleared(prometheus, { alertname: "InvariantUnchecked" });
    await untilCleared(prometheus, { alertname: "ServiceDown", job: "reconciler" });
  });
});
