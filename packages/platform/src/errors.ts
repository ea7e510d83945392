export interface FieldError {
  field: string;
  message: string;
}

/** An error the client caused or may see: carries a stable code and an HTTP status. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldError[],
    /** Headers the answer carries (`WWW-Authenticate`, `Retry-After`). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const notFound = (what: string) => new AppError(404, "NOT_FOUND", `${what} not found`);

/**
 * A message that can never be applied, however often it is retried: it goes to the dead-letter
 * topic. Naming its `messageId` spares the consumer the search for it among the chunk's messages.
 */
export class PermanentMessageError extends Error {
  readonly messageId: string | undefined;
  constructor(message: string, options: { messageId?: string } = {}) {
    super(message);
    this.name = "PermanentMessageError";
    this.messageId = options.messageId;
  }
}

/** A required dependency (database, broker) is not reachable: one clear line for the operator. */
export class DependencyUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DependencyUnavailableError";
  }
}

/** The configuration and what it meets disagree (a topic kept longer than the settings allow): one clear line. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigurationError";
  }
}

/** What an error says of itself: Node's `code`, PostgreSQL's SQLSTATE `code`, kafkajs' `type`. */
export interface ErrorFields {
  name?: unknown;
  code?: unknown;
  type?: unknown;
  message?: unknown;
}

/**
 * An error and what it wraps (its `cause`, an aggregate's `errors`), a few levels deep: drivers
 * and kafkajs wrap the error that says what happened.
 */
export function* errorChain(err: unknown, depth = 0): Generator<ErrorFields> {
  if (!err || typeof err !== "object" || depth > 5) return;
  yield err as ErrorFields;
  const { cause, errors } = err as { cause?: unknown; errors?: unknown };
  yield* errorChain(cause, depth + 1);
  if (Array.isArray(errors)) for (const inner of errors) yield* errorChain(inner, depth + 1);
}

/** True when the error, or one it wraps, passes `test`. */
export const someInChain = (err: unknown, test: (e: ErrorFields) => boolean) => [...errorChain(err)].some(test);
