/**
 * Reads objects through one long-lived `git cat-file --batch-command --buffer` process per
 * repository: requests are pipelined (one write, one flush per batch), answers parsed as they
 * stream back. `info` is asked first when a size limit is given, so an over-limit blob is never
 * read at all. The process is started on first use and again after it dies.
 */
import type { ChildProcess } from "node:child_process";
import type { Logger } from "pino";
import { GitCommandError } from "./errors.js";
import { spawnGit } from "./run-git.js";
import type { BlobRead } from "./types.js";

/** A 40 (SHA-1) or 64 (SHA-256) hex object id: anything else is answered "missing" without asking git. */
const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** A full ref name as resolveCommit takes it: `refs/...`, no whitespace or control characters. */
// eslint-disable-next-line no-control-regex
const REF_NAME = /^refs\/[^\s\x00-\x1f\x7f]+$/;
/** What resolveCommit sends: a ref name peeled to a commit. */
// eslint-disable-next-line no-control-regex
const REF_REQUEST = /^refs\/[^\s\x00-\x1f\x7f]+\^\{commit\}$/;
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);
const CLOSE_GRACE_MS = 2_000;

/** What `info` says about an object. */
export interface ObjectInfo {
  oid: string;
  type: string;
  size: number;
}

/** An object read whole. */
export interface ObjectData extends ObjectInfo {
  data: Buffer;
}

type Kind = "info" | "contents";
type Answer = ObjectInfo | ObjectData | null;

/** One pipelined request: `oids.length` answers, in order. */
interface Batch {
  kind: Kind;
  answers: Answer[];
  expected: number;
  resolve: (answers: Answer[]) => void;
  reject: (error: Error) => void;
}

/** Options of `createCatFileReader`. */
export interface CatFileReaderOptions {
  gitDir: string;
  log: Logger;
}

/** Reads objects of one repository; see the module comment. */
export class CatFileReader {
  private process: ChildProcess | null = null;
  private readonly queue: Batch[] = [];
  private rest: Buffer = EMPTY;
  /** The object whose contents are arriving, and how many bytes of it have. */
  private body: ObjectData | null = null;
  private filled = 0;
  /** Bytes still to drop (the newline after each object's contents). */
  private skip = 0;
  private stderr = "";
  private closed = false;
  private readonly log: Logger;

  constructor(private readonly options: CatFileReaderOptions) {
    this.log = options.log.child({ component: "git-cat-file" });
  }

  /** Type and size of each object; missing objects are absent from the map. */
  async info(oids: readonly string[]): Promise<Map<string, ObjectInfo>> {
    const unique = uniqueOids(oids);
    const answers = await this.request("info", unique);
    const out = new Map<string, ObjectInfo>();
    for (const answer of answers) if (answer) out.set(answer.oid, answer);
    return out;
  }

  /**
   * Read blobs; one larger than `maxBytes` comes back with `data: null` (and is not read).
   * Missing objects and objects that are not blobs are absent from the map.
   */
  async readBlobs(oids: readonly string[], maxBytes = Infinity): Promise<Map<string, BlobRead>> {
    const out = new Map<string, BlobRead>();
    let wanted = uniqueOids(oids);
    if (Number.isFinite(maxBytes)) {
      const infos = await this.info(wanted);
      wanted = [];
      for (const info of infos.values()) {
        if (info.type !== "blob") continue;
        if (info.size > maxBytes) out.set(info.oid, { oid: info.oid, size: info.size, data: null });
        else wanted.push(info.oid);
      }
    }
    for (const answer of await this.request("contents", wanted)) {
      if (answer && "data" in answer && answer.type === "blob") out.set(answer.oid, answer);
    }
    return out;
  }

  /**
   * The commit `ref` (a full ref name, `refs/heads/main`) points at now, or null when it does not
   * exist or does not name a commit: `rev-parse --verify` without starting a process. Git reads the
   * loose ref, or the packed-refs file when it changed, afresh for each request. A spawn costs 5 to
   * 15 ms of blocked event loop in a process holding 10,000 sessions, and a pass asks every time.
   */
  async resolveCommit(ref: string): Promise<string | null> {
    if (!REF_NAME.test(ref)) throw new GitCommandError(`invalid ref name ${JSON.stringify(ref)}`, { ref });
    const [answer] = await this.request("info", [`${ref}^{commit}`], "name");
    return answer?.type === "commit" ? answer.oid : null;
  }

  /** Stop the process (waits for it to exit). Further reads start a new one unless closed. */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.process;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), CLOSE_GRACE_MS);
      child.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin?.end();
    });
  }

  /** Send a batch; if the process died under it, start a new one and send it once more. */
  private async request(kind: Kind, oids: string[], what: "oid" | "name" = "oid"): Promise<Answer[]> {
    if (oids.length === 0) return [];
    try {
      return await this.send(kind, oids, what);
    } catch (error) {
      if (!(error instanceof GitCommandError) || error.data["reason"] !== "exited" || this.closed)
        throw error;
      this.log.warn({ err: error.message }, "git cat-file died; restarting it");
      return this.send(kind, oids, what);
    }
  }

  private send(kind: Kind, oids: string[], what: "oid" | "name"): Promise<Answer[]> {
    if (this.closed) {
      return Promise.reject(new GitCommandError("cat-file reader is closed", { reason: "closed" }));
    }
    const valid = oids.filter((oid) => (what === "oid" ? OID : REF_REQUEST).test(oid));
    const child = this.ensureProcess();
    const promise = new Promise<Answer[]>((resolve, reject) => {
      this.queue.push({ kind, answers: [], expected: valid.length, resolve, reject });
    });
    child.stdin?.write(`${valid.map((oid) => `${kind} ${oid}\n`).join("")}flush\n`);
    this.settleEmptyBatches();
    return promise;
  }

  private ensureProcess(): ChildProcess {
    if (this.process) return this.process;
    const child = spawnGit({
      gitDir: this.options.gitDir,
      args: ["cat-file", "--batch-command", "--buffer"],
    });
    this.process = child;
    this.stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => this.onData(chunk));
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString("utf8")).slice(-2_000);
    });
    child.stdin?.on("error", () => undefined); // the exit handler reports the failure
    child.on("error", (error) => this.onExit(child, `could not start: ${error.message}`));
    child.on("close", (code, signal) => this.onExit(child, `exited (${signal ?? code ?? "?"})`));
    return child;
  }

  private onExit(child: ChildProcess, what: string): void {
    if (this.process !== child) return;
    this.process = null;
    this.rest = EMPTY;
    this.body = null;
    this.skip = 0;
    const pending = this.queue.splice(0);
    if (pending.length === 0) return;
    const error = new GitCommandError(`git cat-file ${what}: ${this.stderr.trim()}`, {
      reason: "exited",
      gitDir: this.options.gitDir,
    });
    for (const batch of pending) batch.reject(error);
  }

  private onData(chunk: Buffer): void {
    const data = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    let pos = 0;
    while (pos < data.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, data.length - pos);
        this.skip -= n;
        pos += n;
      } else if (this.body) {
        pos = this.fillBody(this.body, data, pos);
      } else {
        const newline = data.indexOf(NEWLINE, pos);
        if (newline < 0) break;
        this.onHeader(data.toString("latin1", pos, newline));
        pos = newline + 1;
      }
    }
    this.rest = pos < data.length ? Buffer.from(data.subarray(pos)) : EMPTY;
  }

  /** Copy body bytes; when the body is whole, answer it and skip the newline that follows. */
  private fillBody(body: ObjectData, data: Buffer, pos: number): number {
    const n = Math.min(body.size - this.filled, data.length - pos);
    data.copy(body.data, this.filled, pos, pos + n);
    this.filled += n;
    if (this.filled === body.size) {
      this.body = null;
      this.skip = 1;
      this.answer(body);
    }
    return pos + n;
  }

  private onHeader(line: string): void {
    const batch = this.queue[0];
    const first = line.indexOf(" ");
    const second = line.indexOf(" ", first + 1);
    if (!batch || first < 0 || second < 0) {
      // "<oid> missing" / "<oid> ambiguous" (or a line we do not understand: answered as absent)
      this.answer(null);
      return;
    }
    const oid = line.slice(0, first);
    const type = line.slice(first + 1, second);
    const size = Number(line.slice(second + 1));
    if (batch.kind === "info") {
      this.answer({ oid, type, size });
    } else {
      this.body = { oid, type, size, data: Buffer.allocUnsafe(size) };
      this.filled = 0;
      if (size === 0) this.fillBody(this.body, EMPTY, 0);
    }
  }

  private answer(answer: Answer): void {
    const batch = this.queue[0];
    if (!batch) return;
    batch.answers.push(answer);
    if (batch.answers.length >= batch.expected) {
      this.queue.shift();
      batch.resolve(batch.answers);
      this.settleEmptyBatches();
    }
  }

  /** A batch of nothing but invalid ids expects no answer: settle it once it reaches the head. */
  private settleEmptyBatches(): void {
    while (this.queue[0]?.expected === 0) this.queue.shift()?.resolve([]);
  }
}

/** Start a reader for a repository (the process itself starts on first use). */
export function createCatFileReader(options: CatFileReaderOptions): CatFileReader {
  return new CatFileReader(options);
}

function uniqueOids(oids: readonly string[]): string[] {
  return [...new Set(oids)];
}
