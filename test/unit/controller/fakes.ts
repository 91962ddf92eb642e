/** Small in-memory stand-ins for the controller's I/O (the real ones are tested in test/integration). */
import { createHash } from "node:crypto";
import type { RunObservation, RunSpec } from "../../../src/api/index.js";
import type { BlobRead, ChangedFile, ConfigSource, StatusStore } from "../../../src/git/types.js";
import type { Runner } from "../../../src/runners/types.js";

/** The blob id git would give `text`. */
export const blobOf = (text: string): string =>
  createHash("sha1")
    .update(`blob ${Buffer.byteLength(text)}\0`)
    .update(text)
    .digest("hex");

/** A source whose commits are maps of path -> text; `push` makes a commit (null deletes a path). */
export class MemorySource implements ConfigSource {
  readonly description = "memory";
  readonly commits = new Map<string, Map<string, string>>();
  /** Blob ids asked for, in order. */
  readonly reads: string[] = [];
  tip: string | null = null;

  push(files: Record<string, string | null>): string {
    const next = new Map(this.tip ? this.commits.get(this.tip) : undefined);
    for (const [path, text] of Object.entries(files)) {
      if (text === null) next.delete(path);
      else next.set(path, text);
    }
    this.tip = `${this.commits.size}`.padStart(40, "c");
    this.commits.set(this.tip, next);
    return this.tip;
  }

  fetchTip(): Promise<string | null> {
    return Promise.resolve(this.tip);
  }

  diff(from: string | null, to: string): Promise<ChangedFile[]> {
    const before = (from ? this.commits.get(from) : undefined) ?? new Map<string, string>();
    const after = this.commits.get(to) ?? new Map<string, string>();
    const changed: ChangedFile[] = [];
    for (const [path, text] of after) {
      const old = before.get(path);
      if (old === text) continue;
      const status = old === undefined ? "added" : "modified";
      changed.push({
        path,
        status,
        oid: blobOf(text),
        oldOid: old === undefined ? null : blobOf(old),
        mode: "100644",
      });
    }
    for (const [path, old] of before) {
      if (!after.has(path))
        changed.push({ path, status: "deleted", oid: null, oldOid: blobOf(old), mode: "100644" });
    }
    return Promise.resolve(changed);
  }

  readBlobs(oids: readonly string[]): Promise<Map<string, BlobRead>> {
    this.reads.push(...oids);
    const out = new Map<string, BlobRead>();
    for (const files of this.commits.values()) {
      for (const text of files.values()) {
        const oid = blobOf(text);
        if (oids.includes(oid)) out.set(oid, { oid, size: text.length, data: Buffer.from(text) });
      }
    }
    return Promise.resolve(out);
  }

  watch(): () => Promise<void> {
    return () => Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A status branch in memory holding `files` (path -> text); commits replace them. */
export function memoryStatus(
  files: Map<string, string> = new Map(),
): StatusStore & { files: Map<string, string> } {
  const byOid = (): Map<string, string> => new Map([...files.values()].map((text) => [blobOf(text), text]));
  return {
    files,
    load: () =>
      Promise.resolve({
        tip: files.size > 0 ? "s".repeat(40) : null,
        files: new Map([...files].map(([p, t]) => [p, blobOf(t)])),
      }),
    readBlobs: (oids) => {
      const texts = byOid();
      return Promise.resolve(
        new Map(oids.flatMap((oid) => (texts.has(oid) ? [[oid, Buffer.from(texts.get(oid)!)]] : []))),
      );
    },
    pathsUnder: (prefixes) =>
      Promise.resolve([...files.keys()].filter((path) => prefixes.some((prefix) => path.startsWith(prefix)))),
    commit: (input) => {
      for (const [path, content] of input.changes) {
        if (content === null) files.delete(path);
        else files.set(path, content.toString("utf8"));
      }
      return Promise.resolve({ commit: "s".repeat(40), retries: 0, changes: input.changes });
    },
    close: () => Promise.resolve(),
  };
}

/** A runner that records starts and observes nothing. */
export class IdleRunner implements Runner {
  readonly started: string[] = [];
  start(spec: RunSpec): Promise<void> {
    this.started.push(spec.name);
    return Promise.resolve();
  }
  remove(_name: string, _job: string): Promise<void> {
    return Promise.resolve();
  }
  observe(): Promise<Map<string, RunObservation>> {
    return Promise.resolve(new Map<string, RunObservation>());
  }
  onChange(_callback: () => void): void {}
  readLog(): Promise<string | null> {
    return Promise.resolve(null);
  }
  isReady(): boolean {
    return true;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A Session manifest's text. */
export const sessionText = (name: string, configuration: string): string =>
  `apiVersion: cfs-gitops/v1\nkind: Session\nname: ${name}\nconfiguration:\n  name: ${configuration}\n`;

/** A Configuration manifest's text with one layer. */
export const configurationText = (name: string): string =>
  `apiVersion: cfs-gitops/v1\nkind: Configuration\nname: ${name}\nlayers:\n  - name: base\n    clone_url: https://git.example.org/base.git\n    commit: ${"a".repeat(40)}\n    playbook: site.yml\n`;

/**
 * A clock and a sleep that only move when the test says so: `advance(ms)` moves the time and
 * wakes, in order, every sleep that is due. Every timer of the controller runs on these.
 */
export class ManualClock {
  private t: number;
  private readonly sleepers: Array<{ at: number; wake: () => void }> = [];
  /** Every wait asked for, in ms, in order. */
  readonly waits: number[] = [];

  constructor(start = Date.parse("2026-11-21T12:00:00Z")) {
    this.t = start;
  }

  readonly now = (): Date => new Date(this.t);

  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    this.waits.push(ms);
    return new Promise<void>((resolve, reject) => {
      const sleeper = { at: this.t + ms, wake: resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener("abort", () => {
        this.sleepers.splice(this.sleepers.indexOf(sleeper), 1);
        reject(new Error("aborted"));
      });
    });
  };

  /** Sleeps pending now. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** Moves the time by `ms`, waking due sleepers one by one (letting what they start run). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (next === undefined || next.at > end) break;
      this.sleepers.shift();
      this.t = Math.max(this.t, next.at);
      next.wake();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

/** Lets pending promise callbacks and I/O-free async work run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A runner whose start and remove fail as scripted, and whose observations the test sets. */
export class ScriptedRunner extends IdleRunner {
  /** Errors the next start() calls throw, in order. */
  readonly startFailures: Error[] = [];
  /** Errors the next remove() calls throw, in order. */
  readonly removeFailures: Error[] = [];
  readonly removed: string[] = [];
  readonly observed = new Map<string, RunObservation>();
  private readonly listeners: Array<() => void> = [];

  override start(spec: RunSpec): Promise<void> {
    const failure = this.startFailures.shift();
    if (failure) return Promise.reject(failure);
    return super.start(spec);
  }
  override remove(name: string): Promise<void> {
    const failure = this.removeFailures.shift();
    if (failure) return Promise.reject(failure);
    this.removed.push(name);
    this.observed.delete(name);
    return Promise.resolve();
  }
  override observe(): Promise<Map<string, RunObservation>> {
    return Promise.resolve(new Map(this.observed));
  }
  override onChange(callback: () => void): void {
    this.listeners.push(callback);
  }
  /** Sets what observe() reports of a run and tells the listeners. */
  set(observation: RunObservation): void {
    this.observed.set(observation.name, observation);
    for (const listener of this.listeners) listener();
  }
}
