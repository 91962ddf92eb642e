/** Errors the CLI turns into one line on stderr and an exit code. */

/** A failure the user can act on; printed as one line, exit code `exitCode` (default 1). */
export class CliError extends Error {
  readonly code = "cli";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
