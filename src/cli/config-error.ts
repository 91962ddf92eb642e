/** A configuration mistake, in a module of its own so the CLI's entry loads it without config.ts. */

/** A configuration mistake the user must fix; the CLI prints it in one line and exits 2. */
export class ConfigError extends Error {
  readonly code = "config";
}
