/** A pino logger that keeps every line in memory, so tests can check what was (not) logged. */
import { pino, type Logger } from "pino";

/** A debug-level logger and the JSON lines it wrote. */
export interface CapturedLog {
  log: Logger;
  lines: string[];
  /** Everything logged so far, as one string. */
  text(): string;
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
  return { log, lines, text: () => lines.join("") };
}
