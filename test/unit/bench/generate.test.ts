import { describe, expect, it } from "vitest";
import type { SessionRecord } from "../../../src/api/index.js";
import { hashBlob } from "../../../src/git/fast-import.js";
import { parseManifest } from "../../../src/manifest/index.js";
import { assembleDesired, planPass, type RepoFile } from "../../../src/plan/index.js";
import {
  blobId,
  completedRecordFiles,
  repoFiles,
  sessionName,
  type RepoShape,
} from "../../../bench/lib/generate.js";
import { percentile, summarize } from "../../../bench/lib/stats.js";

const SHAPE: RepoShape = { sessions: 120, configurations: 7 };
const COMMIT = "c".repeat(40);

function parsedFiles(files: Map<string, Buffer>): RepoFile[] {
  return [...files].map(([path, bytes]) => ({
    path,
    blob: blobId(bytes),
    commit: COMMIT,
    parsed: parseManifest({ path, bytes, mode: "100644" }),
  }));
}

describe("bench data generator", () => {
  it("writes manifests the controller accepts: all valid, all sessions runnable, no problems", () => {
    const files = repoFiles(SHAPE);
    const parsed = parsedFiles(files);
    expect(parsed.filter((file) => !file.parsed.ok)).toEqual([]);
    const desired = assembleDesired({
      commit: COMMIT,
      files: parsed,
      locate: () => ({ line: 1, column: 1 }),
    });
    expect(desired.problems.size).toBe(0);
    expect(desired.sessions.size).toBe(SHAPE.sessions);
    expect(desired.configurations.size).toBe(SHAPE.configurations);
    expect(desired.sessions.get(sessionName(10))?.manifest.target?.definition).toBe("image");
    expect(desired.sessions.get(sessionName(11))?.manifest.target?.definition).toBe("spec");
  });

  it("is deterministic, and a range holds exactly the sessions asked for", () => {
    expect(repoFiles(SHAPE)).toEqual(repoFiles(SHAPE));
    const added = repoFiles({ ...SHAPE, sessions: 105 }, { from: 100, configurations: false });
    expect([...added.keys()]).toEqual(
      [100, 101, 102, 103, 104].map((i) => `sessions/${sessionName(i)}.yaml`),
    );
  });

  it("computes the blob ids git computes", () => {
    const content = Buffer.from("apiVersion: cfs-gitops/v1\n");
    expect(blobId(content)).toBe(hashBlob(content));
  });

  it("writes the records the controller would: with them, a pass plans nothing", () => {
    const files = repoFiles(SHAPE);
    const desired = assembleDesired({
      commit: COMMIT,
      files: parsedFiles(files),
      locate: () => ({ line: 1, column: 1 }),
    });
    const completedAt = new Date("2026-01-01T00:00:00Z");
    const statusFiles = completedRecordFiles({
      shape: SHAPE,
      count: SHAPE.sessions,
      sourceCommit: COMMIT,
      completedAt,
      logsPerSession: 2,
    });
    const sessions = new Map<string, SessionRecord>();
    for (const [path, bytes] of statusFiles) {
      if (path.startsWith("sessions/")) {
        const record = JSON.parse(bytes.toString("utf8")) as SessionRecord;
        sessions.set(record.name, record);
      }
    }
    expect(sessions.size).toBe(SHAPE.sessions);
    expect(statusFiles.size).toBe(SHAPE.sessions * 3);
    const record = sessions.get(sessionName(3));
    expect(record?.status.session).toMatchObject({ status: "complete", succeeded: "true" });
    expect(record?.status.source.blob).toBe(blobId(files.get(`sessions/${sessionName(3)}.yaml`)!));

    const out = planPass({
      desired,
      recorded: { sessions, problems: new Map(), expired: new Map() },
      observed: new Map(),
      now: new Date("2026-01-01T01:00:00Z"),
    });
    expect(out.actions).toEqual([]);
    expect(out.sessions.size).toBe(0);
    expect(out.problems.size).toBe(0);
  });
});

describe("bench statistics", () => {
  it.each([
    [[5], 0.5, 5],
    [[1, 2, 3, 4], 0.5, 2.5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.1, 2],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.9, 10],
  ])("percentile of %j at %s is %s", (samples, p, expected) => {
    expect(percentile(samples, p)).toBeCloseTo(expected);
  });

  it("summarizes unsorted samples and refuses none", () => {
    expect(summarize([30, 10, 20])).toMatchObject({ n: 3, median: 20, min: 10, max: 30 });
    expect(() => summarize([])).toThrow();
  });
});
