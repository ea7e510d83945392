import type { FastifyBaseLogger } from "fastify";
import type { Discrepancy } from "../invariant.js";
import { discrepancyItems } from "../invariant.js";
import {
  LOGS,
  type LogName,
  type LogRow,
  lastLogId,
  logRowsSince,
  SWEEPS,
  type SweepCursor,
  type SweepName,
  sweepSlice,
} from "./change-queries.js";
import { type Checked, checkSubjects, noSubjects, type ReconcilerDatabases, type Subjects } from "./check.js";
import type { ReconcilerMetrics } from "./metrics.js";
import { Watermark } from "./watermark.js";

export interface ReconcilerOptions {
  intervalMs: number;
  /** Keys of each table the sweep checks per pass. */
  sweepRows: number;
  /** Rows of each log read per pass at most (a backlog is read over the next passes). */
  logRows: number;
}

/** Which database holds each log and each swept table. */
const LOG_DATABASE: Record<LogName, keyof ReconcilerDatabases> = {
  bookingHistory: "reservation",
  holdHistory: "room",
  entries: "payment",
};
const SWEEP_DATABASE: Record<SweepName, keyof ReconcilerDatabases> = {
  bookings: "reservation",
  payments: "payment",
  nights: "room",
  movements: "payment",
  deposits: "payment",
};
const SWEEP_NAMES = Object.keys(SWEEPS) as SweepName[];

/** Where a swept key goes among the subjects of a pass. */
const sweptInto: Record<SweepName, keyof Subjects> = {
  bookings: "bookings",
  payments: "bookings",
  nights: "nights",
  movements: "movements",
  deposits: "deposits",
};

/** Where a discrepancy is checked again: the subject it names. */
const recheckIn: Record<Discrepancy["kind"], keyof Subjects | undefined> = {
  hold: "bookings",
  money: "bookings",
  orphan: "bookings",
  payment: "bookings",
  night: "nights",
  overbooked: "nights",
  movement: "movements",
  deposit: "deposits",
  ledger: undefined,
};

const keyOf = (d: Discrepancy) => `${d.kind}:${d.subject}`;

type Open = Map<string, { discrepancy: Discrepancy; passes: number }>;

/** The open discrepancies two passes running have found: those that count. */
const confirmedIn = (open: Open) => [...open.values()].filter((o) => o.passes >= 2).map((o) => o.discrepancy);

export interface PassResult {
  confirmed: Discrepancy[];
  suspected: number;
  checked: Checked;
}

/**
 * The saga's invariant checked while the system runs, on an interval, at a cost that follows what
 * changed rather than what is stored. Each pass checks the bookings, nights, movements and deposits
 * the logs say changed since the last, a slice of every table in key order (so that, a slice at a
 * time, everything is checked again, changes made by hand included), and every discrepancy still
 * open. A discrepancy counts once two passes running find it: a booking whose saga moved between
 * reading one database and the next can look wrong for a moment, never twice.
 */
export function createReconciler(
  db: ReconcilerDatabases,
  options: ReconcilerOptions,
  metrics: ReconcilerMetrics,
  log: FastifyBaseLogger,
) {
  const watermarks = new Map<LogName, Watermark>();
  const cursors = new Map<SweepName, SweepCursor>(SWEEP_NAMES.map((name) => [name, null]));
  let open: Open = new Map();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;
  let lastOk = 0;
  metrics.initialise(SWEEP_NAMES.map((name) => SWEEPS[name].table));

  /** Starts each log's watermark at its end: what is already stored is the sweep's to check. */
  async function startWatermarks() {
    for (const name of Object.keys(LOGS) as LogName[]) {
      const [last] = await db[LOG_DATABASE[name]].rows<{ id: number }>(lastLogId(name));
      watermarks.set(name, new Watermark(last?.id ?? 0));
    }
  }

  /** The subjects each log names since its watermark; each watermark moves only once the pass is done. */
  function readLogs(subjects: Subjects): Promise<(() => void)[]> {
    return Promise.all(
      (Object.keys(LOGS) as LogName[]).map(async (name) => {
        const mark = watermarks.get(name) as Watermark;
        const rows = await db[LOG_DATABASE[name]].rows<LogRow>(
          logRowsSince(name, mark.after, mark.openGaps(), options.logRows),
        );
        for (const row of rows) {
          if (name === "entries") {
            subjects.movements.add(row.ref);
            if (row.account) subjects.deposits.add(row.account);
            if (row.booking) subjects.bookings.add(row.booking);
          } else subjects.bookings.add(row.ref);
        }
        return () => mark.advance(rows.map((r) => Number(r.id)));
      }),
    );
  }

  /** The next slice of every swept table; each cursor moves (or wraps) only once the pass is done. */
  function readSweeps(subjects: Subjects) {
    return Promise.all(
      SWEEP_NAMES.map(async (name) => {
        const rows = await db[SWEEP_DATABASE[name]].rows<Record<string, string>>(
          sweepSlice(name, cursors.get(name) ?? null, options.sweepRows),
        );
        const keys = rows.map((r) => Object.values(r));
        for (const key of keys) subjects[sweptInto[name]].add(key.join("/"));
        return () => {
          if (keys.length < options.sweepRows) {
            cursors.set(name, null);
            metrics.sweeps.inc({ table: SWEEPS[name].table });
          } else cursors.set(name, keys.at(-1) ?? null);
        };
      }),
    );
  }

  async function pass(): Promise<PassResult> {
    const started = performance.now();
    if (watermarks.size === 0) await startWatermarks();
    const subjects = noSubjects();
    const [logAdvances, sweepAdvances] = await Promise.all([readLogs(subjects), readSweeps(subjects)]);
    for (const { discrepancy } of open.values()) {
      const into = recheckIn[discrepancy.kind];
      if (into) subjects[into].add(discrepancy.subject);
    }

    const { report, checked } = await checkSubjects(db, subjects);

    // Only a pass that read everything moves on: a failed one is done again from where it began.
    for (const advance of [...logAdvances, ...sweepAdvances]) advance();
    const next: Open = new Map();
    for (const discrepancy of discrepancyItems(report)) {
      const key = keyOf(discrepancy);
      const passes = (open.get(key)?.passes ?? 0) + 1;
      next.set(key, { discrepancy, passes });
      if (passes === 2) log.warn({ discrepancy: discrepancy.line, kind: discrepancy.kind }, "invariant broken");
    }
    for (const [key, { discrepancy, passes }] of open)
      if (passes >= 2 && !next.has(key)) log.info({ discrepancy: discrepancy.line }, "discrepancy resolved");
    open = next;

    const confirmed = confirmedIn(open);
    const byKind: Record<string, number> = {};
    for (const d of confirmed) byKind[d.kind] = (byKind[d.kind] ?? 0) + 1;
    metrics.setDiscrepancies(byKind);
    metrics.suspected.set(open.size - confirmed.length);
    metrics.countChecked(checked);
    metrics.passDuration.observe((performance.now() - started) / 1000);
    return { confirmed, suspected: open.size - confirmed.length, checked };
  }

  async function tick() {
    try {
      running = pass();
      await running;
      lastOk = Date.now();
      metrics.lastPass.set(lastOk / 1000);
      metrics.passes.inc({ outcome: "ok" });
    } catch (err) {
      metrics.passes.inc({ outcome: "failed" });
      log.error({ err }, "reconciler pass failed; tried again at the next interval");
    } finally {
      running = undefined;
      if (!stopped) timer = setTimeout(tick, options.intervalMs);
    }
  }

  return {
    /** Runs a pass now, then one every interval until `stop`. */
    start() {
      stopped = false;
      timer = setTimeout(tick, 0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => {});
    },
    /** One pass, now (the loop's own passes aside). */
    pass,
    /** Whether a pass completed within the last three intervals. */
    healthy: () => Date.now() - lastOk < 3 * options.intervalMs + 30_000,
    /** The discrepancies found in two passes running, as the last pass left them. */
    discrepancies: () => confirmedIn(open),
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;
