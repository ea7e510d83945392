import { z } from "zod";

const DAY_MS = 86_400_000;

/** The longest stay a booking may have. */
export const MAX_STAY_NIGHTS = 30;

/**
 * A calendar date `YYYY-MM-DD` that exists (no 2025-02-30) and that PostgreSQL can store: ISO 8601
 * has a year 0000, PostgreSQL (like the Gregorian calendar) goes from 1 BC to AD 1.
 */
export const isoDate = z.iso
  .date({ error: "must be a real calendar date in the form YYYY-MM-DD" })
  .refine((date) => !date.startsWith("0000-"), "must be in the year 0001 or later");

/**
 * The earliest check-in accepted at `now`: the UTC date minus one day, so that a stay no time zone
 * on Earth has begun yet (UTC-12 is at most a day behind) is never refused.
 */
export function earliestCheckIn(now: Date = new Date()): string {
  return formatDate(new Date(now.getTime() - DAY_MS));
}

/** A check-in date that has not passed anywhere on Earth. */
export const futureCheckIn = isoDate.refine((date) => date >= earliestCheckIn(), {
  error: () => `must not be before ${earliestCheckIn()}: the stay would start in the past`,
  // Judged only on a real date: a malformed one has its own message.
  when: (payload) => isoDate.safeParse(payload.value).success,
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
