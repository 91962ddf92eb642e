/** The one root logger: JSON lines on stderr, credentials redacted wherever they might sit. */
import { pino, type Logger } from "pino";

/** Creates the root logger; rooms get `log.child({ component })`. */
export function createLogger(input: { level: string }): Logger {
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
    pino.destination({ fd: 2, sync: true }),
  );
}
