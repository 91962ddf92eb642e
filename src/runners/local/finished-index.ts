/**
 * `<dataDir>/finished-runs.jsonl`: the states of finished runs, so a restart need not open 10,000
 * run directories' state.json one by one. One JSON line per finished run (its job, the stamp of
 * the state.json it was read from, and the state), after a first line naming the format. A run
 * whose state is complete never changes again, so a line is appended once, when the runner first
 * reads the run complete; the whole file is rewritten (to a temporary file, renamed into place)
 * only when it is missing, of another format, or holds many lines of runs that are gone.
 *
 * The file is a cache, never the truth: a line is used only while the state.json it names has the
 * same stamp (inode, size, mtime: every state write replaces the file), and a run without a usable
 * line is read from its directory as before. A torn last line (a crash while appending), a corrupt
 * line or a file of another format loses nothing: those runs are read one by one and the file is
 * written again.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { appendFile, rename, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import {
  isSafeJobName,
  isSameStamp,
  stateJson,
  stateOf,
  type FileStamp,
  type StampedState,
} from "./run-files.js";

/** The file's name under the runner's data directory (beside `runs/`, so writing it never moves `runs/`' mtime). */
export const FINISHED_INDEX_FILE = "finished-runs.jsonl";

/** The first line of the file; a file that starts otherwise is of another version and is rebuilt. */
const HEADER = JSON.stringify({ format: "cfs-gitops/finished-runs", version: 1 });

/** Lines of runs that are gone tolerated before the file is rewritten: this many plus as many as there are runs. */
const SLACK_LINES = 1_000;

/** A finished run as the index holds it. */
export interface IndexedRun extends StampedState {
  job: string;
}

/** What readFinishedIndexSync found. */
export interface FinishedIndexContent {
  /** The usable lines, by job (of two lines of one job, the later). */
  runs: Map<string, IndexedRun>;
  /** Lines in the file after the header (usable or not). */
  lines: number;
  /** False when the file is missing, empty, or of another format: it must be written again in full. */
  usable: boolean;
}

/** Read the index (synchronously: at a restart nothing else waits). Never throws. */
export function readFinishedIndexSync(path: string): FinishedIndexContent {
  const runs = new Map<string, IndexedRun>();
  let count = 0;
  let header: boolean | null = null;
  const take = (line: string): boolean => {
    if (header === null) return (header = line === HEADER);
    if (line === "") return true;
    count += 1;
    const run = parseLine(line);
    if (run !== null) runs.set(run.job, run);
    return true;
  };
  if (!forEachLineSync(path, take) || header !== true) return { runs: new Map(), lines: 0, usable: false };
  return { runs, lines: count, usable: true };
}

/** Bytes read at a time: the file (~2 KiB a run) is never held whole. */
const CHUNK_BYTES = 1 << 20;

/**
 * Call `take` with each line of a UTF-8 file, read a chunk at a time (the last line also when it
 * has no newline); stops when `take` returns false. False when the file cannot be read.
 */
function forEachLineSync(path: string, take: (line: string) => boolean): boolean {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return false;
  }
  try {
    const decoder = new StringDecoder("utf8");
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let rest = "";
    for (let read = readSync(fd, chunk); read > 0; read = readSync(fd, chunk)) {
      const lines = (rest + decoder.write(chunk.subarray(0, read))).split("\n");
      rest = lines.pop() ?? "";
      if (!lines.every(take)) return true;
    }
    take(rest + decoder.end());
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** One line of the index, or null when it is torn or not of the shape. */
function parseLine(line: string): IndexedRun | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null) return null;
  const { job, ino, size, mtimeMs, state } = parsed as Record<string, unknown>;
  if (typeof job !== "string" || !isSafeJobName(job)) return null;
  if (typeof ino !== "number" || typeof size !== "number" || typeof mtimeMs !== "number") return null;
  const runState = stateOf(state);
  if (runState === null || runState.observation.job !== job) return null;
  return { job, stamp: { ino, size, mtimeMs }, state: runState };
}

function lineOf(run: IndexedRun): string {
  const { ino, size, mtimeMs } = run.stamp;
  return `${JSON.stringify({ job: run.job, ino, size, mtimeMs, state: stateJson(run.state) })}\n`;
}

/** Options of FinishedIndex. */
export interface FinishedIndexOptions {
  /** The file (see FINISHED_INDEX_FILE). */
  path: string;
  log: Logger;
}

/**
 * Writes the index: appends and rewrites go one after another, in the order asked. A failed write
 * is logged and forgotten (the index is a cache: the next restart reads those runs one by one).
 */
export class FinishedIndex {
  private chain: Promise<void> = Promise.resolve();
  /** Lines the file holds after the header, once the writes asked so far are done. */
  private lines = 0;
  private whole = false;

  constructor(private readonly options: FinishedIndexOptions) {}

  /** Take in what a restart read of the file: how many lines it holds, and whether it can be appended to. */
  opened(content: Pick<FinishedIndexContent, "lines" | "usable">): void {
    this.lines = content.lines;
    this.whole = content.usable;
  }

  /**
   * Record newly finished runs. `live` is every finished run kept now: when the file cannot be
   * appended to, or holds more than twice as many lines as runs (plus some slack), it is written
   * again with `live` only.
   */
  save(input: { added: readonly IndexedRun[]; live: () => Iterable<IndexedRun>; liveCount: number }): void {
    const { added, liveCount } = input;
    if (this.whole && this.lines + added.length <= 2 * liveCount + SLACK_LINES) {
      if (added.length === 0) return;
      this.lines += added.length;
      const text = added.map(lineOf).join("");
      this.enqueue(() => appendFile(this.options.path, text, { mode: 0o600 }));
      return;
    }
    const runs = [...input.live()];
    this.lines = runs.length;
    this.whole = true;
    this.enqueue(() => this.rewrite(runs));
  }

  /** Wait for every write asked so far. */
  flush(): Promise<void> {
    return this.chain;
  }

  private async rewrite(runs: readonly IndexedRun[]): Promise<void> {
    const temp = `${this.options.path}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      // Only the controller's user reads it, as spec.json: a layer's clone URL may carry credentials.
      await writeFile(temp, `${HEADER}\n${runs.map(lineOf).join("")}`, { mode: 0o600 });
      await rename(temp, this.options.path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  private enqueue(write: () => Promise<void>): void {
    this.chain = this.chain.then(write).catch((error: unknown) => {
      // The next save writes the file again in full.
      this.whole = false;
      this.options.log.warn(
        { err: error, path: this.options.path },
        "could not write the index of finished runs; a restart reads them one by one",
      );
    });
  }
}

/** Whether a line of the index still describes the state.json whose stamp is `current`. */
export function isCurrent(run: IndexedRun, current: FileStamp | null): boolean {
  return current !== null && isSameStamp(run.stamp, current);
}
