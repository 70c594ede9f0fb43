/**
 * Errors the CLI reports as one line, with an exit code: 1 for a command that ran and failed,
 * 2 for a command line that is wrong.
 */

/** A failure to report without a stack. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The command line is wrong (exit code 2). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
