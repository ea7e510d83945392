import { PermanentMessageError } from "../../errors.js";
import { isDeterministicDatabaseError, isTransientDatabaseError, sqlState } from "../../sql/database-errors.js";

export interface IsolationPolicy {
  /** Tries at a chunk failing with an error that may recur, before it is split. */
  attempts: number;
  /** Waits before try `attempt + 1`. */
  pause(attempt: number): Promise<void>;
}

export interface SetAside<T> {
  item: T;
  reason: string;
}

/** The error as an operator would want it in a dead letter: its SQLSTATE, if any, and its message. */
function describeFailure(err: unknown): string {
  if (err instanceof PermanentMessageError) return err.message;
  const text = (err as { message?: string }).message ?? String(err);
  const code = sqlState(err);
  return code ? `${code}: ${text}` : text;
}

/**
 * Applies `items` (in order) with `apply`, and finds what can never be applied. An error of the
 * moment (the database away or locked) is thrown back, for the whole chunk to be tried again
 * later. An error of the data (a constraint, a bad cast) or a `PermanentMessageError` halves the
 * chunk at once, and each half is applied in turn, down to the one message that fails alone, which
 * is returned to be set aside with its reason; one that names its message is set aside at once and
 * the rest applied without it. Any other error (a bug, say) is tried again up to `attempts` times
 * first, since it may yet pass. Halves keep their order, so what is applied keeps the order of
 * its key.
 */
export async function applyIsolating<T>(
  items: T[],
  apply: (items: T[]) => Promise<void>,
  idOf: (item: T) => string,
  policy: IsolationPolicy,
  attempts = policy.attempts,
): Promise<SetAside<T>[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      await apply(items);
      return [];
    } catch (err) {
      if (isTransientDatabaseError(err)) throw err;
      const permanent = err instanceof PermanentMessageError;
      if (!permanent && !isDeterministicDatabaseError(err) && attempt < attempts) {
        await policy.pause(attempt);
        continue;
      }
      const [only] = items;
      if (items.length === 1 && only !== undefined) return [{ item: only, reason: describeFailure(err) }];
      const named = permanent ? items.findIndex((item) => idOf(item) === err.messageId) : -1;
      if (named >= 0) {
        const rest = items.filter((_, i) => i !== named);
        const culprit = { item: items[named] as T, reason: describeFailure(err) };
        return [culprit, ...(await applyIsolating(rest, apply, idOf, policy))];
      }
      const half = Math.ceil(items.length / 2);
      const again = (part: T[]) => applyIsolating(part, apply, idOf, policy, part.length === 1 ? policy.attempts : 1);
      return [...(await again(items.slice(0, half))), ...(await again(items.slice(half)))];
    }
  }
}
