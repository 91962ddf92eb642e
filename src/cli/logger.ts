/** The one root logger: JSON lines on stderr, credentials redacted wherever they might sit. */
import { pino, type Logger } from "pino";
import { prettyLogLine } from "./pretty-log.js";

/** Creates the root logger; rooms get `log.child({ component })`. */
export function createLogger(input: { level: string; format?: "json" | "pretty" }): Logger {
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
