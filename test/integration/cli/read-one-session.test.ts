import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionRecordPath, type ProblemRecord } from "../../../src/api/index.js";
import { problemsOf } from "../../../src/cli/problems.js";
import { isSessionFileOf, readOneSession } from "../../../src/cli/read-one-session.js";
import { loadSessions } from "../../../src/cli/session-source.js";
import { hashBlob } from "../../../src/git/fast-import.js";
import { createLocalSource } from "../../../src/git/local-source.js";
import { createStatusStore } from "../../../src/git/status-store.js";
import { parseManifest } from "../../../src/manifest/index.js";
import type { BlobRead, ConfigSource, StatusStore } from "../../../src/git/types.js";
import { sessionManifest, sessionRecord, startCliRepo, type CliRepo } from "./cli-harness.js";

const log = pino({ level: "silent" });
const EDITED_BEFORE = sessionManifest("edited");
const EDITED_NOW = sessionManifest("edited", "tags:\n  team: b\n");

/** Manifests of every kind of session the list shows (and some it does not). */
const MANIFESTS: Record<string, string> = {
  "sessions/done.yaml": sessionManifest("done"),
  "sessions/run.yaml": sessionManifest("run"),
  "sessions/new.yaml": sessionManifest("new"),
  "sessions/bad.yaml": "name: bad\nconfiguration: [\n",
  "sessions/noconf.yaml": sessionManifest("noconf").replace("name: site", "name: missing"),
  "sessions/dup.yaml": sessionManifest("dup"),
  "sessions/dup.yml": sessionManifest("dup"),
  "sessions/edited.yaml": EDITED_NOW,
  "sessions/gone.yaml": sessionManifest("gone"),
  "sessions/nested/deep.yaml": sessionManifest("deep"),
  "sources/vcs.yaml":
    "apiVersion: cfs-gitops/v1\nkind: Source\nname: vcs\nclone_url: https://git.example.org/x.git\n",
};
const NAMES = ["done", "run", "new", "bad", "noconf", "dup", "edited", "gone", "deep", "orphan", "nope"];

const blobOf = (text: string): string => hashBlob(Buffer.from(text));
const editProblem: ProblemRecord = {
  path: "sessions/edited.yaml",
  commit: "0".repeat(40),
  blob: blobOf(EDITED_NOW),
  errors: [{ line: 1, column: 1, code: "immutable", message: "a session that ran cannot be edited" }],
};

/**
 * The problem the controller records for a session file in a subfolder (which describe finds
 * through the status branch: it never lists the thousands of files under sessions/).
 */
function nestedProblem(): ProblemRecord {
  const path = "sessions/nested/deep.yaml";
  const text = MANIFESTS[path]!;
  const parsed = parseManifest({ path, bytes: Buffer.from(text) });
  if (parsed.ok) throw new Error("a nested session file must be a problem");
  return { path, commit: "0".repeat(40), blob: blobOf(text), errors: parsed.errors };
}

let repo: CliRepo;

beforeAll(async () => {
  repo = await startCliRepo(MANIFESTS);
  const done = sessionRecord({ name: "done", status: "complete", text: MANIFESTS["sessions/done.yaml"]! });
  const records = [
    done,
    sessionRecord({ name: "run", status: "running", text: MANIFESTS["sessions/run.yaml"]! }),
    sessionRecord({ name: "edited", status: "complete", text: EDITED_BEFORE }),
    sessionRecord({ name: "orphan", status: "complete" }),
  ];
  await repo.writeStatus({
    ...Object.fromEntries(records.map((record) => [sessionRecordPath(record.name), record])),
    "expired/gone.json": {
      name: "gone",
      path: "sessions/gone.yaml",
      blob: blobOf(MANIFESTS["sessions/gone.yaml"]!),
      expired_at: "2026-11-20T00:00:00Z",
    },
    "problems/sessions/edited.yaml.json": editProblem,
    "problems/sessions/nested/deep.yaml.json": nestedProblem(),
    "sessions/damaged.json": "{ not json",
  });
}, 60_000);

afterAll(async () => {
  await repo.close();
});

/** The local repository, with the blobs its source reads counted. */
async function open(): Promise<{
  source: ConfigSource;
  status: StatusStore;
  gitDir: string;
  read: () => number;
  close: () => Promise<void>;
}> {
  const real = await createLocalSource({ path: repo.bare, branch: "main", log });
  const status = await createStatusStore({ gitDir: real.gitDir, branch: "cfs-status", log });
  let read = 0;
  const source: ConfigSource = {
    description: real.description,
    fetchTip: () => real.fetchTip(),
    diff: (from, to) => real.diff(from, to),
    readBlobs: (oids: readonly string[], max: number): Promise<Map<string, BlobRead>> => {
      read += oids.length;
      return real.readBlobs(oids, max);
    },
    watch: (onChange) => real.watch(onChange),
    close: () => real.close(),
  };
  const close = async () => {
    await real.close();
    await status.close();
  };
  return { source, status, gitDir: real.gitDir, read: () => read, close };
}

describe("readOneSession (describe NAME reads only that session's files)", () => {
  it("reads the session's own manifest and what it names, not the other sessions' manifests", async () => {
    const one = await open();
    const got = await readOneSession({ context: one, name: "new" });
    expect(got.view?.status.session.status).toBe("pending");
    // new.yaml, the sources and the site configuration: never the nine other session files (this
    // runs first in the file: nothing was parsed into the process's parse cache yet).
    expect(one.read()).toBeLessThanOrEqual(3);
    await one.close();
  });

  it("gives every name the view and problems that reading every session gives", async () => {
    const all = await open();
    const loaded = await loadSessions(all);
    const problems = await problemsOf(loaded);
    await all.close();
    for (const name of NAMES) {
      const one = await open();
      const got = await readOneSession({ context: one, name });
      await one.close();
      const expected = {
        view: loaded.sessions.find((session) => session.name === name) ?? null,
        problems: problems.filter((problem) => isSessionFileOf(problem.path, name)),
      };
      expect({ name, ...got }).toEqual({ name, ...expected });
    }
    // The cases are there: a pending, an invalid and an edited session, one hidden by its expiry.
    expect(loaded.sessions.find((s) => s.name === "new")?.status.session.status).toBe("pending");
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(["sessions/bad.yaml", "sessions/dup.yml", "sessions/edited.yaml"]),
    );
    expect(loaded.sessions.some((s) => s.name === "gone")).toBe(false);
  });

  it("reads no manifest at all for a session that completed from its file: its record is its view", async () => {
    const one = await open();
    const got = await readOneSession({ context: one, name: "done" });
    expect(got.view?.status.session.status).toBe("complete");
    expect(one.read()).toBe(0);
    await one.close();
  });

  it("refuses a name that can be no file's stem without reading anything", async () => {
    const one = await open();
    expect(await readOneSession({ context: one, name: "../done" })).toEqual({ view: null, problems: [] });
    expect(one.read()).toBe(0);
    await one.close();
  });
});
