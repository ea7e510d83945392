import type { NightChanges } from "./hold-queries.js";

export const nightKey = (roomId: string, date: string) => `${roomId}/${date}`;

/** Nights taken per room and date as read under the locks, changed in memory as a chunk is worked out. */
export class NightCounts {
  private readonly changes = new Map<string, { roomId: string; date: string; change: number }>();
  constructor(private readonly taken: Map<string, number> = new Map()) {}

  /** Whether `quantity` more units of the room on every one of `dates` would exceed its `units`. */
  lacks(roomId: string, dates: string[], units: number, quantity: number): boolean {
    return dates.some((date) => (this.taken.get(nightKey(roomId, date)) ?? 0) + quantity > units);
  }

  add(roomId: string, dates: string[], change: number): void {
    for (const date of dates) {
      const key = nightKey(roomId, date);
      this.taken.set(key, (this.taken.get(key) ?? 0) + change);
      const entry = this.changes.get(key) ?? { roomId, date, change: 0 };
      entry.change += change;
      this.changes.set(key, entry);
    }
  }

  /** Each night changed once, as columns for unnest. */
  columns(): NightChanges {
    const rows = [...this.changes.values()].filter((c) => c.change !== 0);
    return { roomIds: rows.map((r) => r.roomId), dates: rows.map((r) => r.date), changes: rows.map((r) => r.change) };
  }
}
