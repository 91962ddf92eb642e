/**
 * The logger of a one-shot command: the same pino logger as `createLogger`, made on the first line
 * it writes. A `sessions describe` at the default level (warn) usually writes none, and then never
 * loads pino (tens of milliseconds of its start-up).
 */
import type { Logger } from "pino";
import { createLogger } from "./logger.js";

const LEVELS: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

const METHODS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

type Method = (typeof METHODS)[number];

/**
 * A logger at `level` whose pino logger is made when a line at or above the level is written. An
 * unknown level makes it at once, so the error is pino's, as with `createLogger`.
 */
export function createLazyLogger(input: { level: string }): Logger {
  const threshold = LEVELS[input.level];
  if (threshold === undefined) return createLogger(input);
  let root: Logger | null = null;
  return lazyLogger(() => (root ??= createLogger(input)), { level: input.level, threshold });
}

function lazyLogger(real: () => Logger, input: { level: string; threshold: number }): Logger {
  const write =
    (method: Method) =>
    (...args: unknown[]): void => {
      if ((LEVELS[method] ?? 0) < input.threshold) return;
      const logger = real();
      Reflect.apply(logger[method], logger, args);
    };
  const methods = Object.fromEntries(METHODS.map((method) => [method, write(method)]));
  const lazy = {
    ...methods,
    level: input.level,
    isLevelEnabled: (level: string) => (LEVELS[level] ?? 0) >= input.threshold,
    child: (bindings: Record<string, unknown>): Logger => {
      let made: Logger | null = null;
      return lazyLogger(() => (made ??= real().child(bindings)), input);
    },
  };
  return lazy as unknown as Logger;
}
