/**
 * debug_on_failure in the planner: a session that asks for it gets the option debug_wait_time
 * (default 3600 s, as in CFS) in its RunSpec, and a record shows the wait (`status.debug`) while the
 * session runs, never once it completed.
 */
import { describe, expect, it } from "vitest";
import type { DebugWait, OptionsManifest } from "../../../src/api/index.js";
import { applyObservation, buildRunSpec, newSessionRecord, type RepoFile } from "../../../src/plan/index.js";
import {
  COMMIT,
  configuration,
  configurationFile,
  desiredOf,
  observation,
  session,
  sessionFile,
} from "./fixtures.js";

function optionsFile(extra: Partial<OptionsManifest>): RepoFile {
  const manifest: OptionsManifest = { apiVersion: "cfs-gitops/v1", kind: "Options", ...extra };
  return {
    path: "cfs.yaml",
    blob: "b-o",
    commit: COMMIT,
    parsed: { ok: true, kind: "Options", name: "cfs", manifest },
  };
}

function specOf(debug: boolean, files: RepoFile[] = []) {
  const desired = desiredOf([
    configurationFile(configuration()),
    sessionFile(session("s", { debug_on_failure: debug })),
    ...files,
  ]);
  const wanted = desired.sessions.get("s");
  return wanted ? buildRunSpec(desired, wanted, "job") : null;
}

const DEBUG: DebugWait = {
  work_dir: "/data/runs/job/work",
  until: "2026-12-01T01:00:00Z",
  release: "touch /data/runs/job/work/complete",
};

describe("debug_on_failure in the planner", () => {
  it("gives a session that asks for it CFS's default wait of 3600 s", () => {
    expect(specOf(true)?.debugWaitTime).toBe(3600);
  });

  it("gives it the option debug_wait_time instead when cfs.yaml sets it", () => {
    expect(specOf(true, [optionsFile({ debug_wait_time: 90 })])?.debugWaitTime).toBe(90);
  });

  it("gives a session that does not ask for it no wait", () => {
    expect(specOf(false, [optionsFile({ debug_wait_time: 90 })])?.debugWaitTime).toBeUndefined();
  });

  it("shows the wait in the record while the session runs, and drops it when it completes", () => {
    const record = newSessionRecord({
      session: session("s", { debug_on_failure: true }),
      source: { path: "sessions/s.yaml", commit: COMMIT, blob: "b" },
      job: "job",
      options: null,
    });
    const waiting = applyObservation(
      record,
      observation("s", "job", { reason: "layer 0 failed", debug: DEBUG }),
    );
    expect(waiting.status.debug).toEqual(DEBUG);
    expect(waiting.status.session.status).toBe("running");

    const done = applyObservation(
      waiting,
      observation("s", "job", {
        phase: "complete",
        succeeded: "false",
        completionTime: "2026-12-01T01:00:00Z",
        reason: "x",
      }),
    );
    expect(done.status.debug).toBeUndefined();
    const stale = applyObservation(
      waiting,
      observation("s", "job", { phase: "complete", succeeded: "false", reason: "x", debug: DEBUG }),
    );
    expect(stale.status.debug).toBeUndefined();
  });
});
