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
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const notFound = (what: string) => new AppError(404, "NOT_FOUND", `${what} not found`);

/** A message that can never be applied, however often it is retried: it goes to the dead-letter topic. */
export class PermanentMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermanentMessageError";
  }
}

/** A required dependency (database, broker) is not reachable: one clear line for the operator. */
export class DependencyUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DependencyUnavailableError";
  }
}
