/**
 * Follows one session on the status branch until it completes: a live line on a terminal (redrawn
 * in place), plain lines otherwise (one per change). Stops with a clear error when the controller
 * rejects the manifest, when the session is deleted, or at the timeout.
 */
import type { SessionRecord } from "../api/index.js";
import { formatManifestError } from "../manifest/index.js";
import type { StatusStore } from "../git/types.js";
import { CliError } from "./errors.js";
import type { CliIo } from "./io.js";
import { withLiveRun } from "./live-run.js";
import { describeState, formatElapsed, progressLine } from "./progress.js";
import { StatusReader } from "./status-reader.js";

/** Inputs of waitForSession. */
export interface WaitInput {
  name: string;
  /** The manifest path, to notice a problem the controller records for it. */
  path: string;
  status: StatusStore;
  io: CliIo;
  /** Time between two reads of the status branch. */
  intervalMs: number;
  /** Give up after this long (null: never). */
  timeoutMs: number | null;
  /** The local runner's data directory, for the live steps of a run on this machine (null: none). */
  dataDir?: string | null;
}

/** Waits for the session to complete and returns its final record. */
export async function waitForSession(input: WaitInput): Promise<SessionRecord> {
  const { io, name } = input;
  const started = io.now().getTime();
  const display = createDisplay(io);
  let seen = false;
  for (;;) {
    const reader = await StatusReader.open(input.status);
    const record = await withLiveRun(input.dataDir ?? null, await reader.session(name));
    const elapsedMs = io.now().getTime() - started;
    display.show({ name, record, elapsedMs });
    if (record?.status.session.status === "complete") {
      display.end();
      return record;
    }
    seen ||= record !== null;
    await stopIfLost({ input, reader, record, seen, display });
    if (input.timeoutMs !== null && elapsedMs >= input.timeoutMs) {
      display.end();
      throw new CliError(
        `gave up waiting after ${formatElapsed(elapsedMs)}; session ${name} goes on: cfs-gitops sessions describe ${name}`,
      );
    }
    await io.sleep(input.intervalMs);
  }
}

async function stopIfLost(input: {
  input: WaitInput;
  reader: StatusReader;
  record: SessionRecord | null;
  seen: boolean;
  display: Display;
}): Promise<void> {
  const { reader, record, seen, display } = input;
  const { name, path } = input.input;
  if (seen && record === null) {
    display.end();
    throw new CliError(`session ${name} was deleted while waiting for it`);
  }
  const problem = record === null ? await reader.problem(path) : null;
  const first = problem?.errors[0];
  if (first) {
    display.end();
    throw new CliError(`the controller cannot use ${path}: ${formatManifestError(path, first)}`);
  }
}

interface Display {
  show(input: { name: string; record: SessionRecord | null; elapsedMs: number }): void;
  end(): void;
}

/** A terminal gets one line redrawn in place; anything else gets a line per change of state. */
function createDisplay(io: CliIo): Display {
  const out = io.stdout;
  if (out.isTTY) {
    let drawn = false;
    return {
      show: (state) => {
        const line = progressLine(state);
        const width = (out.columns ?? 0) > 1 ? (out.columns ?? 0) - 1 : line.length;
        out.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
        drawn = true;
      },
      end: () => {
        if (drawn) out.write("\n");
        drawn = false;
      },
    };
  }
  let last = "";
  return {
    show: ({ name, record, elapsedMs }) => {
      const line = describeState(name, record);
      if (line === last) return;
      last = line;
      out.write(`${line} (${formatElapsed(elapsedMs)})\n`);
    },
    end: () => undefined,
  };
}
