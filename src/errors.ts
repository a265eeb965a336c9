/**
 * Known errors: the CLI prints their message as one line and exits with their code.
 * Anything else is a bug and gets a stack trace.
 */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A problem with the environment (missing compiler, failed build) rather than with the input. */
export class EnvironmentError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = "EnvironmentError";
    this.exitCode = exitCode;
  }
}

export function isKnownError(error: unknown): error is UsageError | EnvironmentError {
  return error instanceof UsageError || error instanceof EnvironmentError;
}
