import { z } from "zod";

const DAY_MS = 86_400_000;

/** The longest stay a booking may have. */
export const MAX_STAY_NIGHTS = 30;

/** A calendar date `YYYY-MM-DD` that exists (no 2025-02-30). */
export const isoDate = z.iso.date({
  error: "must be a real calendar date in the form YYYY-MM-DD",
});

export function toUtcDate(date: string): Date {
  return new Date(`${date}T00:00:00.000Z`);
}

export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Nights between two dates: check-in inclusive, check-out exclusive. */
export function nightsBetween(from: string, to: string): number {
  return Math.round((toUtcDate(to).getTime() - toUtcDate(from).getTime()) / DAY_MS);
}

export function eachNight(from: string, to: string): string[] {
  const start = toUtcDate(from).getTime();
  return Array.from({ length: Math.max(0, nightsBetween(from, to)) }, (_, i) =>
    formatDate(new Date(start + i * DAY_MS)),
  );
}

/**
 * A zod superRefine check that `end` is after `start` and at most `maxNights` later, reported on
 * `end`. It is judged whenever both dates parse, even when other fields failed (zod would skip it).
 */
export function dateRangeCheck<K extends string, E extends string>(
  start: K,
  end: E,
  maxNights: number,
  tooLong: string,
) {
  const bothDates = z.object({ [start]: isoDate, [end]: isoDate });
  const check = (value: Record<K | E, string>, ctx: z.RefinementCtx) => {
    const nights = nightsBetween(value[start], value[end]);
    if (nights < 1) ctx.addIssue({ code: "custom", path: [end], message: `must be after ${start}` });
    if (nights > maxNights) ctx.addIssue({ code: "custom", path: [end], message: tooLong });
  };
  const options = { when: (payload: z.core.ParsePayload) => bothDates.safeParse(payload.value).success };
  return [check, options] as const;
}
