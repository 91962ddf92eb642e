import { describe, expect, it } from "vitest";
import { jobName, type SessionRecord } from "../../../src/api/index.js";
import { previewChange, previewMarkdown, type PreviewSide } from "../../../src/cli/diff-preview.js";
import { locateManifestPointer, parseManifest } from "../../../src/manifest/index.js";
import { assembleDesired, newSessionRecord, type RepoFile } from "../../../src/plan/index.js";

const CONFIG = `apiVersion: cfs-gitops/v1
kind: Configuration
name: site
layers:
  - name: base
    clone_url: https://git.example.org/base.git
    branch: main
    playbook: site.yml
`;
const session = (name: string, configuration = "site", extra = "") =>
  `apiVersion: cfs-gitops/v1\nkind: Session\nname: ${name}\nconfiguration:\n  name: ${configuration}\n${extra}`;

/** One side: files by path, blob = the text itself (distinct texts, distinct blobs). */
function side(files: Record<string, string>): PreviewSide {
  const repoFiles: RepoFile[] = Object.entries(files).map(([path, text]) => ({
    path,
    blob: `blob:${text}`,
    commit: "c",
    parsed: parseManifest({ path, bytes: text }),
  }));
  const desired = assembleDesired({
    commit: "c",
    files: repoFiles,
    locate: (path, pointer) => locateManifestPointer(files[path] ?? "", pointer),
  });
  return { blobs: new Map(repoFiles.map((f) => [f.path, f.blob])), desired };
}

function recorded(
  name: string,
  text: string,
  status: SessionRecord["status"]["session"]["status"],
): [string, SessionRecord] {
  const record = newSessionRecord({
    session: { apiVersion: "cfs-gitops/v1", kind: "Session", name, configuration: { name: "site" } },
    source: { path: `sessions/${name}.yaml`, commit: "c", blob: `blob:${text}` },
    job: jobName(name, text),
    options: null,
  });
  record.status.session.status = status;
  return [name, record];
}

const NOTHING = { sessions: new Map<string, SessionRecord>(), expired: new Map() };

describe("previewChange", () => {
  it("lists a new session as created, with its configuration, layers and target", () => {
    const before = side({ "configurations/site.yaml": CONFIG });
    const after = side({
      "configurations/site.yaml": CONFIG,
      "sessions/a.yaml": session(
        "a",
        "site",
        "target:\n  definition: spec\n  groups:\n    - name: g\n      members: [n1, n2]\n",
      ),
    });
    const preview = previewChange({ before, after, recorded: NOTHING });
    expect(preview.created).toEqual([
      { name: "a", path: "sessions/a.yaml", configuration: "site", target: "spec; g: n1, n2", layers: 1 },
    ]);
    expect(preview).toMatchObject({
      deleted: [],
      problems: [],
      changes: [],
      existingProblems: 0,
      fixedProblems: 0,
    });
  });

  it("lists removed manifests as deleted with their state, and ignores removed files that never were sessions", () => {
    const before = side({
      "configurations/site.yaml": CONFIG,
      "sessions/r.yaml": session("r"),
      "sessions/p.yaml": session("p"),
      "sessions/broken.yaml": "kind: [",
    });
    const after = side({ "configurations/site.yaml": CONFIG });
    const recordedState = { sessions: new Map([recorded("r", session("r"), "running")]), expired: new Map() };
    const preview = previewChange({ before, after, recorded: recordedState });
    expect(preview.deleted).toEqual([
      { name: "p", path: "sessions/p.yaml", state: "not started" },
      { name: "r", path: "sessions/r.yaml", state: "running" },
    ]);
    expect(preview.fixedProblems).toBe(1);
  });

  it("reports an edit of an existing session as a problem: sessions are immutable", () => {
    const before = side({ "configurations/site.yaml": CONFIG, "sessions/a.yaml": session("a") });
    const after = side({
      "configurations/site.yaml": CONFIG,
      "sessions/a.yaml": session("a", "site", "tags: {x: y}\n"),
    });
    const preview = previewChange({
      before,
      after,
      recorded: { sessions: new Map([recorded("a", session("a"), "complete")]), expired: new Map() },
    });
    expect(preview.created).toEqual([]);
    expect(preview.problems.map((p) => [p.path, p.error.code])).toEqual([["sessions/a.yaml", "immutable"]]);
  });

  it("reports only the problems the change brings, including ones it causes in files it did not touch", () => {
    const before = side({
      "configurations/site.yaml": CONFIG,
      "sessions/old.yaml": session("old"),
      "sessions/bad.yaml": session("bad", "nope"),
    });
    const after = side({ "sessions/old.yaml": session("old"), "sessions/bad.yaml": session("bad", "nope") });
    const preview = previewChange({ before, after, recorded: NOTHING });
    expect(preview.problems.map((p) => [p.path, p.error.code])).toEqual([
      ["sessions/old.yaml", "unknown-configuration"],
    ]);
    expect(preview.existingProblems).toBe(1);
    expect(preview.changes).toEqual(["configuration `site` removed"]);
  });

  it("does not create a session again when the status branch already has it with this manifest", () => {
    const before = side({ "configurations/site.yaml": CONFIG });
    const after = side({ "configurations/site.yaml": CONFIG, "sessions/a.yaml": session("a") });
    const recordedState = { sessions: new Map([recorded("a", session("a"), "running")]), expired: new Map() };
    expect(previewChange({ before, after, recorded: recordedState })).toMatchObject({
      created: [],
      problems: [],
    });
  });
});

describe("previewMarkdown", () => {
  it("says there is nothing to do for a change that touches no session", () => {
    const before = side({ "configurations/site.yaml": CONFIG });
    const after = side({ "configurations/site.yaml": CONFIG.replace("branch: main", "branch: next") });
    const md = previewMarkdown({
      preview: previewChange({ before, after, recorded: NOTHING }),
      base: "main",
      head: "pr",
    });
    expect(md).toBe(
      "### cfs-gitops: merging `pr` into `main`\n\nWhen this merges, the controller creates **0** sessions and deletes **0**; no problems.\n\n#### Other changes\n\n- configuration `site` changed\n",
    );
  });

  it("escapes table cells", () => {
    const preview = {
      created: [
        { name: "a", path: "sessions/a.yaml", configuration: "c", target: "spec; g: x|y", layers: null },
      ],
      deleted: [],
      changes: [],
      problems: [],
      existingProblems: 0,
      fixedProblems: 0,
      conflicts: [],
    };
    expect(previewMarkdown({ preview, base: "main", head: "pr" })).toContain(
      "| `a` | `c` | ? | spec; g: x\\|y |",
    );
  });
});
