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
  remove(): Promise<void> {
    return Promise.resolve();
  }
  observe(): Promise<Map<string, RunObservation>> {
    return Promise.resolve(new Map<string, RunObservation>());
  }
  onChange(): void {}
  readLog(): Promise<string | null> {
    return Promise.resolve(null);
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
