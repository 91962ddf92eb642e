/**
 * `--log-format pretty`: the controller's JSON log lines made readable on a terminal, one line
 * each: `12:03:04 INFO  [git] fetched tip=3f2a9c1d0b7e ms=41`. The JSON is formatted after pino's
 * redaction, so what was hidden stays hidden.
 */

const LEVELS: Readonly<Record<number, string>> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/** Keys printed in the line's head, not as key=value. */
const HEAD_KEYS = new Set(["level", "time", "name", "msg", "component"]);

/** Formats one JSON log line (as pino writes it); a line that is not JSON passes unchanged. */
export function prettyLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (entry === null || typeof entry !== "object") return line;
  const time =
    typeof entry["time"] === "number" ? new Date(entry["time"]).toISOString().slice(11, 19) : "--:--:--";
  const level = (LEVELS[Number(entry["level"])] ?? String(entry["level"])).padEnd(5);
  const component = typeof entry["component"] === "string" ? ` [${entry["component"]}]` : "";
  const fields = Object.entries(entry)
    .filter(([key]) => !HEAD_KEYS.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  const message = typeof entry["msg"] === "string" ? ` ${entry["msg"]}` : "";
  return `${time} ${level}${component}${message}${fields.length ? ` ${fields.join(" ")}` : ""}\n`;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return /[\s"=]/.test(value) || value === "" ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}
