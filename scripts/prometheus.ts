// Debian's Prometheus scraping the local stack, on 127.0.0.1:9090 with its data under .data/,
// evaluating the alerting rules prometheus.yml names (infra/prometheus/alerts.yml) and sending what
// fires to its Alertmanager on 127.0.0.1:9095 (infra/prometheus/alertmanager.yml): `pnpm metrics:up` (returns
// once every service is scraped, the rules are loaded and Prometheus has found its Alertmanager),
// `pnpm metrics:down`.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pidFile, urlOf } from "@saga/ops/launch";
import { localAuthSecret, ROOT } from "@saga/ops/local";
import { loadReconcilerConfig } from "@saga/ops/reconciler";
import { SERVICES, settingsOf } from "@saga/ops/services";

const DATA = path.join(ROOT, ".data", "prometheus");
const CONFIG = path.join(ROOT, "infra", "prometheus", "prometheus.yml");
const URL = "http://127.0.0.1:9090";
const TARGETS = path.join(DATA, "targets.json");

/** One scrape job per service, named as the service, and the reconciler's, where the stack runs them. */
function writeTargets(): number {
  const hostOf = (config: { host: string; port: number }) => new globalThis.URL(urlOf(config.host, config.port)).host;
  const groups = [
    ...SERVICES.map((name) => ({
      targets: [hostOf(settingsOf(name).loadConfig({ ...process.env, AUTH_JWT_SECRET: localAuthSecret() }))],
      labels: { job: name },
    })),
    { targets: [hostOf(loadReconcilerConfig(process.env))], labels: { job: "reconciler" } },
  ];
  writeFileSync(TARGETS, `${JSON.stringify(groups, null, 2)}\n`);
  return groups.length;
}

/** A daemon of metrics:up: Debian's binary, its flags, its pid file and its log under .data/. */
interface Daemon {
  name: string;
  binary: string;
  args: string[];
  dir: string;
}

const prometheus: Daemon = {
  name: "prometheus",
  binary: "prometheus",
  args: [
    `--config.file=${CONFIG}`,
    `--storage.tsdb.path=${DATA}`,
    "--web.listen-address=127.0.0.1:9090",
    "--web.enable-lifecycle",
  ],
  dir: DATA,
};

const ALERTMANAGER_DATA = path.join(ROOT, ".data", "alertmanager");
const ALERTMANAGER_URL = "http://127.0.0.1:9095";
const alertmanager: Daemon = {
  name: "alertmanager",
  binary: "prometheus-alertmanager",
  args: [
    `--config.file=${path.join(ROOT, "infra", "prometheus", "alertmanager.yml")}`,
    `--storage.path=${ALERTMANAGER_DATA}`,
    "--web.listen-address=127.0.0.1:9095",
    // One instance: no gossip port to open.
    "--cluster.listen-address=",
  ],
  dir: ALERTMANAGER_DATA,
};

const pidOf = (daemon: Daemon) => pidFile(path.join(daemon.dir, `${daemon.name}.pid`));
const running = (daemon: Daemon = prometheus) => pidOf(daemon).running();

/** Starts the daemon in the background unless it runs; says what to install when its binary is missing. */
function start(daemon: Daemon, pkg: string): void {
  mkdirSync(daemon.dir, { recursive: true });
  if (running(daemon)) return;
  const log = openSync(path.join(daemon.dir, `${daemon.name}.log`), "a");
  const child = spawn(daemon.binary, daemon.args, { detached: true, stdio: ["ignore", log, log] });
  closeSync(log);
  child.on("error", (err) => {
    console.error(`metrics: cannot run ${daemon.binary} (${err.message}); install it: apt-get install ${pkg}`);
    process.exit(1);
  });
  if (child.pid !== undefined) pidOf(daemon).record(child.pid);
  child.unref();
}

const stop = (daemon: Daemon): Promise<void> => pidOf(daemon).stop();

/** Whether Prometheus has found the Alertmanager it sends alerts to. */
async function alertmanagerFound(): Promise<boolean> {
  try {
    const res = await fetch(`${URL}/api/v1/alertmanagers`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { data?: { activeAlertmanagers?: unknown[] } };
    return (body.data?.activeAlertmanagers ?? []).length > 0;
  } catch {
    return false;
  }
}

/** How many of the scraped services Prometheus last found up. */
async function targetsUp(): Promise<number> {
  try {
    const res = await fetch(`${URL}/api/v1/query?query=sum(up)`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
    return Number(body.data?.result?.[0]?.value[1] ?? 0);
  } catch {
    return 0;
  }
}

/** How many alerting rules Prometheus has loaded. */
async function alertingRules(): Promise<number> {
  try {
    const res = await fetch(`${URL}/api/v1/rules?type=alert`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { data?: { groups?: { rules: unknown[] }[] } };
    return (body.data?.groups ?? []).reduce((total, group) => total + group.rules.length, 0);
  } catch {
    return 0;
  }
}

async function up() {
  mkdirSync(DATA, { recursive: true });
  const targets = writeTargets();
  start(alertmanager, "prometheus-alertmanager");
  if (running()) {
    // One already running reads its configuration and rules again, as they are now.
    await fetch(`${URL}/-/reload`, { method: "POST", signal: AbortSignal.timeout(5_000) }).catch(() => {});
  } else start(prometheus, "prometheus");
  const deadline = Date.now() + 60_000;
  while ((await targetsUp()) < targets || (await alertingRules()) === 0 || !(await alertmanagerFound())) {
    if (Date.now() > deadline || !running() || !running(alertmanager)) {
      console.error(
        `metrics: Prometheus does not scrape every service and the reconciler (is the stack up?), has no alerting rules, or has no Alertmanager; logs: ${DATA}/prometheus.log, ${ALERTMANAGER_DATA}/alertmanager.log`,
      );
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  console.log(
    `metrics: Prometheus at ${URL}, scraping the ${SERVICES.join(", ")} services and the reconciler every 5 s`,
  );
  console.log(
    `metrics: ${await alertingRules()} alerting rules loaded; firing alerts at ${URL}/alerts, sent to the Alertmanager at ${ALERTMANAGER_URL}`,
  );
}

async function down() {
  await stop(prometheus);
  await stop(alertmanager);
  console.log("metrics: stopped");
}

const command = ({ up, down } as Record<string, () => Promise<void>>)[process.argv[2] ?? ""];
if (!command) {
  console.error("usage: tsx scripts/prometheus.ts up|down");
  process.exit(2);
}
await command();
