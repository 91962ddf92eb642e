/** The status commit message: a summary subject and trailers that link back to the source. */
import {
  TRAILER_SESSION,
  TRAILER_SOURCE_COMMIT,
  SESSION_STATUSES,
  componentIdOfRecordPath,
  sessionNameOfRecordPath,
} from "../api/index.js";

const decoder = new TextDecoder();

/** Inputs of statusCommitMessage. */
export interface MessageInput {
  /** The files really committed: path -> new content, null for deleted. */
  changes: ReadonlyMap<string, Uint8Array | null>;
  sourceCommit: string | null;
  /**
   * The record a content was written from, when the caller still has it (the controller keeps the
   * value of every record it serialized): its status is read from it instead of parsing the JSON
   * again (100,000 new records: ~2% of a first start). Contents it does not know are parsed.
   */
  recordOf?: (content: Uint8Array) => object | undefined;
}

/**
 * `status: 2 running, 1 complete` (plus deleted and problem counts), then one
 * `Cfs-Session: <name> <status>` trailer per changed session and `Cfs-Source-Commit: <sha>`.
 */
export function statusCommitMessage(input: MessageInput): string {
  const sessions: Array<[string, string]> = [];
  let problems = 0;
  let components = 0;
  for (const [path, content] of input.changes) {
    const name = sessionNameOfRecordPath(path);
    if (name) sessions.push([name, content ? sessionState(content, input.recordOf) : "deleted"]);
    else if (path.startsWith("problems/")) problems += 1;
    else if (componentIdOfRecordPath(path) !== null) components += 1;
  }
  sessions.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const subject = `status: ${summarize(
    sessions.map(([, state]) => state),
    problems,
    components,
  )}`;
  const trailers = [
    ...(input.sourceCommit ? [`${TRAILER_SOURCE_COMMIT}: ${input.sourceCommit}`] : []),
    ...sessions.map(([name, state]) => `${TRAILER_SESSION}: ${name} ${state}`),
  ];
  return `${subject}\n\n${trailers.join("\n")}\n`;
}

/** The part of a session record the message reads. */
type SessionStatusPart = { status?: { session?: { status?: string; succeeded?: string } } };

function sessionState(content: Uint8Array, recordOf: MessageInput["recordOf"]): string {
  try {
    const known = recordOf?.(content) as SessionStatusPart | undefined;
    const record = known ?? (JSON.parse(decoder.decode(content)) as SessionStatusPart);
    const session = record.status?.session;
    if (!session?.status) return "unknown";
    return session.status === "complete"
      ? `complete succeeded=${session.succeeded ?? "unknown"}`
      : session.status;
  } catch {
    return "unknown";
  }
}

function summarize(states: string[], problems: number, components: number): string {
  const counts = new Map<string, number>();
  for (const state of states) {
    const key = state.split(" ")[0] ?? state;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const order = [...SESSION_STATUSES, "deleted"];
  const parts = order.filter((key) => counts.has(key)).map((key) => `${counts.get(key)} ${key}`);
  if (problems > 0) parts.push(`${problems} problem${problems === 1 ? "" : "s"} updated`);
  if (components > 0) parts.push(`${components} component${components === 1 ? "" : "s"} updated`);
  return parts.length > 0 ? parts.join(", ") : "updated";
}
