// A background process the local tools start and stop by its pid file (the stack's services, the
// reconciler, Prometheus, Alertmanager): one place that reads, writes and stops by it.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";

export interface PidFile {
  readonly path: string;
  /** The recorded pid, while that process lives. */
  running(): number | undefined;
  record(pid: number): void;
  /**
   * SIGTERM to the process (to its whole group with `group`: one started detached, as its leader),
   * SIGKILL if it still lives after `graceMs`; then the file goes.
   */
  stop(options?: { group?: boolean; graceMs?: number }): Promise<void>;
}

export function pidFile(file: string): PidFile {
  const running = () => {
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, "utf8"));
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  };
  return {
    path: file,
    running,
    record(pid) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, String(pid));
    },
    async stop({ group = false, graceMs = 20_000 } = {}) {
      const pid = running();
      if (pid) {
        const target = group ? -pid : pid;
        process.kill(target, "SIGTERM");
        const deadline = Date.now() + graceMs;
        while (running() && Date.now() < deadline) await delay(100);
        if (running()) process.kill(target, "SIGKILL");
      }
      rmSync(file, { force: true });
    },
  };
}
