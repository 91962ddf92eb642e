/** The one root logger: JSON lines on stderr, credentials redacted wherever they might sit. */
import { createRequire } from "node:module";
import type * as Pino from "pino";
import type { Logger } from "pino";
import { prettyLogLine } from "./pretty-log.js";

/** pino is loaded (CommonJS, synchronously) when a logger is made, not when this module is. */
function loadPino(): typeof Pino {
  return createRequire(import.meta.url)("pino") as typeof Pino;
}

/** Creates the root logger; rooms get `log.child({ component })`. */
export function createLogger(input: { level: string; format?: "json" | "pretty" }): Logger {
  const { pino } = loadPino();
  return pino(
    {
      level: input.level,
      base: { name: "cfs-gitops" },
      redact: {
        paths: [
          "credentials",
          "*.credentials",
          "password",
          "*.password",
          "token",
          "*.token",
          "*.headers.authorization",
        ],
        censor: "[redacted]",
      },
    },
    input.format === "pretty"
      ? { write: (line: string) => void process.stderr.write(prettyLogLine(line)) }
      : pino.destination({ fd: 2, sync: true }),
  );
}
