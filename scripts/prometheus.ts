// Debian's Prometheus scraping the local stack, on 127.0.0.1:9090 with its data under .data/, and
// evaluating the alerting rules prometheus.yml names (infra/prometheus/alerts.yml):
// `pnpm metrics:up` (returns once every service is scraped and the rules are loaded), `pnpm metrics:down`.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { urlOf } from "@saga/ops/launch";
import { localAuthSecret, ROOT } from "@saga/ops/local";
import { loadReconcilerConfig } from "@saga/ops/reconciler";
import { SERVICES, settingsOf } from "@saga/ops/services";

const DATA = path.join(ROOT, ".data", "prometheus");
const PID = path.join(DATA, "prometheus.pid");
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

function running(): number | undefined {
  if (!existsSync(PID)) return undefined;
  const pid = Number(readFileSync(PID, "utf8"));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
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
  if (running()) {
    // One already running reads its configuration and rules again, as they are now.
    await fetch(`${URL}/-/reload`, { method: "POST", signal: AbortSignal.timeout(5_000) }).catch(() => {});
  } else {
    const log = openSync(path.join(DATA, "prometheus.log"), "a");
    const child = spawn(
      "prometheus",
      [
        `--config.file=${CONFIG}`,
        `--storage.tsdb.path=${DATA}`,
        "--web.listen-address=127.0.0.1:9090",
        "--web.enable-lifecycle",
      ],
      { detached: true, stdio: ["ignore", log, log] },
    );
    closeSync(log);
    child.on("error", (err) => {
      console.error(`metrics: cannot run prometheus (${err.message}); install it: apt-get install prometheus`);
      process.exit(1);
    });
    writeFileSync(PID, String(child.pid));
    child.unref();
  }
  const deadline = Date.now() + 60_000;
  while ((await targetsUp()) < targets || (await alertingRules()) === 0) {
    if (Date.now() > deadline || !running()) {
      console.error(
        `metrics: Prometheus does not scrape every service and the reconciler (is the stack up?) or has no alerting rules; log: ${DATA}/prometheus.log`,
      );
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  console.log(
    `metrics: Prometheus at ${URL}, scraping the ${SERVICES.join(", ")} services and the reconciler every 5 s`,
  );
  console.log(`metrics: ${await alertingRules()} alerting rules loaded; firing alerts at ${URL}/alerts`);
}

async function down() {
  const pid = running();
  if (pid) {
    process.kill(pid, "SIGTERM");
    while (running()) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  rmSync(PID, { force: true });
  console.log("metrics: stopped");
}

const command = ({ up, down } as Record<string, () => Promise<void>>)[process.argv[2] ?? ""];
if (!command) {
  console.error("usage: tsx scripts/prometheus.ts up|down");
  process.exit(2);
}
await command();
