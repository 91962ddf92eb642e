/**
 * Parses many manifest files on worker threads, so a first start or a commit that changes
 * thousands of files uses every core (~35 µs a file on one core for plain YAML, ~130 µs for YAML
 * read with positions; on 2 cores the workers now about break even). Files go out in chunks, each
 * to the next free worker, and come back in order. Fewer files than `minFiles`, a machine with one
 * core, or a build without the worker's file (the tests run the sources) parse on this thread, as
 * does a chunk whose worker failed. Idle workers exit after `idleMs`, so their heaps do not outlive the burst.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { parseManifest, type ParseManifestInput, type ParseResult } from "../manifest/index.js";
import { chunk } from "../plan/chunk.js";
import type { ParseRequest } from "./parse-worker.js";

/** Options of ParsePool. */
export interface ParsePoolOptions {
  /** Worker threads at most (default: the cores available, at most 4; none with one core). */
  workers?: number;
  /** Fewest files worth sending to workers (default 1,000). */
  minFiles?: number;
  /** Files per message (default 250). */
  chunk?: number;
  /** An idle worker exits after this long (default 30 s). */
  idleMs?: number;
  /** The worker's script (default: parse-worker.js beside this module, or in the CLI bundle's layout). */
  script?: URL | null;
}

interface Chunk {
  start: number;
  inputs: ParseManifestInput[];
}

/** See the module comment. */
export class ParsePool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly size: number;
  private readonly script: URL | null;
  private idleTimer: NodeJS.Timeout | null = null;
  private nextId = 0;
  /** Set once a worker failed: every later file parses on this thread. */
  private broken = false;

  constructor(private readonly options: ParsePoolOptions = {}) {
    const cores = availableParallelism();
    this.size = options.workers ?? (cores > 1 ? Math.min(4, cores) : 0);
    this.script = options.script === undefined ? workerScript() : options.script;
  }

  /** The workers the pool runs now (0 while idle or parsing on this thread). */
  get running(): number {
    return this.workers.length;
  }

  /** Parses every input; results in the order of `inputs`. Never rejects (a file's problems are its result). */
  async parseMany(inputs: readonly ParseManifestInput[]): Promise<ParseResult[]> {
    const minFiles = this.options.minFiles ?? 1_000;
    if (inputs.length < minFiles || this.size === 0 || this.script === null || this.broken)
      return inputs.map((input) => parseManifest(input));
    this.clearIdleTimer();
    const results = new Array<ParseResult>(inputs.length);
    const chunks = chunksOf(inputs, this.options.chunk ?? 250);
    await Promise.all(
      Array.from({ length: Math.min(this.size, chunks.length) }, () => this.drain(chunks, results)),
    );
    this.armIdleTimer();
    return results;
  }

  /** Stops every worker now. */
  async close(): Promise<void> {
    this.clearIdleTimer();
    const workers = this.workers.splice(0);
    this.idle.length = 0;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  /** One worker's share: takes chunks until none is left. */
  private async drain(chunks: Chunk[], results: ParseResult[]): Promise<void> {
    const worker = this.take();
    for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
      const parsed = worker ? await this.send(worker, chunk.inputs).catch(() => null) : null;
      if (parsed === null && worker) this.retire(worker);
      const answer = parsed ?? chunk.inputs.map((input) => parseManifest(input));
      answer.forEach((result, i) => (results[chunk.start + i] = result));
      if (parsed === null && worker) return this.drainHere(chunks, results);
    }
    if (worker) this.idle.push(worker);
  }

  /** What is left, on this thread (after a worker failed). */
  private drainHere(chunks: Chunk[], results: ParseResult[]): void {
    for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
      chunk.inputs.forEach((input, i) => (results[chunk.start + i] = parseManifest(input)));
    }
  }

  private take(): Worker | null {
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.broken || this.script === null) return null;
    try {
      const worker = new Worker(this.script);
      worker.unref();
      worker.on("error", () => this.retire(worker));
      this.workers.push(worker);
      return worker;
    } catch {
      this.broken = true;
      return null;
    }
  }

  private send(worker: Worker, inputs: ParseManifestInput[]): Promise<ParseResult[]> {
    const id = (this.nextId += 1);
    return new Promise((resolve, reject) => {
      const onMessage = (message: { id: number; results: ParseResult[] }): void => {
        if (message.id !== id) return;
        done();
        resolve(message.results);
      };
      const onFailure = (error: unknown): void => {
        done();
        reject(error instanceof Error ? error : new Error(`the parse worker stopped (${String(error)})`));
      };
      const done = (): void => {
        worker.off("message", onMessage);
        worker.off("error", onFailure);
        worker.off("exit", onFailure);
      };
      worker.on("message", onMessage);
      worker.on("error", onFailure);
      worker.on("exit", onFailure);
      const request: ParseRequest = { id, inputs };
      worker.postMessage(request);
    });
  }

  /** A worker that failed is stopped, and the pool parses on this thread from then on. */
  private retire(worker: Worker): void {
    this.broken = true;
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    void worker.terminate();
  }

  private armIdleTimer(): void {
    this.clearIdleTimer();
    this.idleTimer = setTimeout(() => void this.close(), this.options.idleMs ?? 30_000);
    this.idleTimer.unref();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

function chunksOf(inputs: readonly ParseManifestInput[], size: number): Chunk[] {
  return chunk(inputs, size).map((part, i) => ({ start: i * size, inputs: part }));
}

/**
 * The worker's compiled script: beside this module in `dist/src/controller/`, or, from the CLI
 * bundle's chunks (`dist/src/cli/chunks/`), in that same folder; null when neither is built.
 */
function workerScript(): URL | null {
  const candidates = [
    new URL("./parse-worker.js", import.meta.url),
    new URL("../../controller/parse-worker.js", import.meta.url),
  ];
  return candidates.find((url) => url.protocol === "file:" && existsSync(fileURLToPath(url))) ?? null;
}
