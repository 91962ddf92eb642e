/**
 * `sources list|describe` read the source records the controller wrote; `sessions release` ends
 * the debug wait of a session whose record says it waits (status.debug), by creating `complete` in
 * its work directory. Real git over HTTP, the CLI in process.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionRecordPath, sourceRecordPath, type SourceRecord } from "../../../src/api/index.js";
import { sessionManifest, sessionRecord, startCliRepo, type CliRepo } from "./cli-harness.js";

const SOURCE: SourceRecord = {
  name: "site-vcs",
  last_updated: "2026-11-21T10:00:00Z",
  clone_url: "https://vcs.example.org/site.git",
  credentials: { authentication_method: "password", secret_name: "site-creds" },
  ca_cert: { configmap_name: "site-ca" },
};

let repo: CliRepo;
let workDir: string;

beforeAll(async () => {
  repo = await startCliRepo({
    "sessions/held.yaml": sessionManifest("held"),
    "sessions/done.yaml": sessionManifest("done"),
  });
  workDir = join(repo.dir, "runs", "cfs-held-1", "work");
  mkdirSync(workDir, { recursive: true });
  const held = sessionRecord({ name: "held", status: "running", start: "2026-11-21T11:00:00Z" });
  held.status.debug = {
    work_dir: workDir,
    until: "2026-11-21T12:00:00Z",
    release: `touch ${workDir}/complete`,
  };
  await repo.writeStatus({
    [sourceRecordPath("site-vcs")]: SOURCE,
    [sessionRecordPath("held")]: held,
    [sessionRecordPath("done")]: sessionRecord({ name: "done", status: "complete", succeeded: "false" }),
  });
});

afterAll(async () => {
  await repo.close();
});

describe("sources list and describe", () => {
  it("lists the recorded sources", async () => {
    const json = await repo.run(["sources", "list", "--format", "json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ sources: [SOURCE] });
    const table = await repo.run(["sources", "list"]);
    expect(table.stdout).toContain("site-vcs");
    expect(table.stdout).toContain("site-creds");
  });

  it("describes one, and says so in CFS's words when there is none", async () => {
    const found = await repo.run(["sources", "describe", "site-vcs"]);
    expect(JSON.parse(found.stdout)).toEqual(SOURCE);
    const missing = await repo.run(["sources", "describe", "nope"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("Source nope could not be found");
  });
});

describe("sessions release", () => {
  it("creates complete in the work directory of a session that waits for debugging", async () => {
    const result = await repo.run(["sessions", "release", "held"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(existsSync(join(workDir, "complete"))).toBe(true);
  });

  it("refuses a session that does not wait", async () => {
    const result = await repo.run(["sessions", "release", "done"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("session done is not waiting for debugging");
  });
});
