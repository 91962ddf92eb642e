import { createHash } from "node:crypto";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { RunObservation, RunSpec } from "../../../src/api/index.js";
import { Controller } from "../../../src/controller/index.js";
import type { BlobRead, ChangedFile, ConfigSource, StatusStore } from "../../../src/git/types.js";
import { parseManifest } from "../../../src/manifest/index.js";
import type { Runner } from "../../../src/runners/types.js";

const oid = (text: string): string => createHash("sha1").update(text).digest("hex");

/** A source whose commits are maps of path -> text; `tip` is moved by the test. */
class MemorySource implements ConfigSource {
  readonly description = "memory";
  readonly commits = new Map<string, Map<string, string>>();
  tip: string | null = null;

  push(files: Record<string, string>): void {
    const previous = this.tip ? this.commits.get(this.tip) : undefined;
    const next = new Map([...(previous ?? []), ...Object.entries(files)]);
    this.tip = `commit-${this.commits.size}`;
    this.commits.set(this.tip, next);
  }

  fetchTip(): Promise<string | null> {
    return Promise.resolve(this.tip);
  }

  diff(from: string | null, to: string): Promise<ChangedFile[]> {
    const before = from ? (this.commits.get(from) ?? new Map<string, string>()) : new Map<string, string>();
    const changed: ChangedFile[] = [];
    for (const [path, text] of this.commits.get(to) ?? []) {
      if (before.get(path) === text) continue;
      const old = before.get(path);
      changed.push({
        path,
        status: old === undefined ? "added" : "modified",
        oid: oid(text),
        oldOid: old === undefined ? null : oid(old),
        mode: "100644",
      });
    }
    return Promise.resolve(changed);
  }

  readBlobs(oids: readonly string[]): Promise<Map<string, BlobRead>> {
    const out = new Map<string, BlobRead>();
    for (const files of this.commits.values()) {
      for (const text of files.values()) {
        const id = oid(text);
        if (oids.includes(id)) out.set(id, { oid: id, size: text.length, data: Buffer.from(text) });
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

const status: StatusStore = {
  load: () => Promise.resolve({ tip: null, files: new Map() }),
  readBlobs: () => Promise.resolve(new Map()),
  commit: (input) => Promise.resolve({ commit: "s".repeat(40), retries: 0, changes: input.changes }),
  close: () => Promise.resolve(),
};

/** A runner that starts nothing and whose observations the test does not change. */
class IdleRunner implements Runner {
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

const session = (name: string, configuration: string): string =>
  `apiVersion: cfs-gitops/v1\nkind: Session\nname: ${name}\nconfiguration:\n  name: ${configuration}\n`;

describe("Controller", () => {
  it("assembles the desired state again only when the source moved", async () => {
    const source = new MemorySource();
    source.push({ "sessions/lost.yaml": session("lost", "missing") });
    const located: string[] = [];
    const controller = new Controller({
      source,
      status,
      runner: new IdleRunner(),
      parse: parseManifest,
      locate: (_text, pointer) => {
        located.push(pointer);
        return { line: 5, column: 9 };
      },
      log: pino({ level: "silent" }),
    });

    await controller.pass();
    await controller.pass();
    await controller.pass();
    // locate runs while the desired state is assembled (the unknown configuration is a cross-file error)
    expect(located).toEqual(["/configuration/name"]);
    expect(controller.records.problems.get("sessions/lost.yaml")?.errors[0]).toMatchObject({
      line: 5,
      column: 9,
    });

    source.push({ "sessions/other.yaml": session("other", "missing") });
    await controller.pass();
    expect(located).toHaveLength(3);
    expect([...controller.records.problems.keys()].sort()).toEqual([
      "sessions/lost.yaml",
      "sessions/other.yaml",
    ]);
  });
});
