import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStatusStore } from "../../../src/git/status-store.js";
import type { StatusCommitInput } from "../../../src/git/types.js";
import {
  createFixtureRepo,
  makeTempDir,
  removeTempDir,
  type FixtureFile,
} from "../../helpers/git-fixture.js";
import { captureLog } from "../../helpers/git-log-capture.js";

const BRANCH = "cfs-status";
const NOW = new Date("2024-01-01T00:00:00Z");
let dir: string;
let counter = 0;

beforeAll(async () => {
  dir = await makeTempDir();
});

afterAll(async () => {
  await removeTempDir(dir);
});

const record = (id: string, status: string) => Buffer.from(`{"id":"${id}","status":"${status}"}\n`);

/** The parent commit of every case: a busy `components/`, a few sessions, a symlink in `links/`. */
function parentFiles(): Record<string, FixtureFile> {
  const files: Record<string, FixtureFile> = {
    "sessions/s1.json": "{}\n",
    "links/l0.json": { symlink: "x" },
  };
  for (let i = 0; i < 20; i++) files[`components/x${i}.json`] = record(`x${i}`, "configured");
  files["links/l1.json"] = "{}\n";
  return files;
}

/** The commit the store makes on a fresh copy of the parent, building trees itself or not. */
async function commitWith(treeMinChanges: number, changes: Map<string, Buffer | null>) {
  const repo = await createFixtureRepo({ dir: `${dir}/repo-${++counter}`, bare: true });
  await repo.git(["config", "fastimport.unpackLimit", "0"]); // packs only: a loose object was written otherwise
  await repo.commit({ branch: BRANCH, files: parentFiles() });
  const store = await createStatusStore({
    gitDir: repo.gitDir,
    branch: BRANCH,
    log: captureLog().log,
    treeMinChanges,
  });
  try {
    await store.load();
    const input: StatusCommitInput = { changes, message: (c) => `status: ${c.size}\n`, now: NOW };
    const result = await store.commit(input);
    const listing = await repo.git(["ls-tree", "-r", BRANCH]);
    const loose = Number(/^count: (\d+)/m.exec(await repo.git(["count-objects", "-v"]))?.[1]);
    const next = await store.commit({
      ...input,
      changes: new Map([["components/x0.json", record("x0", "again")]]),
    });
    const fsck = await repo.git(["fsck", "--strict"]);
    return { same: { commit: result?.commit, listing, next: next?.commit, fsck }, loose };
  } finally {
    await store.close();
  }
}

describe("status store commits with directory trees built in-process", () => {
  it("makes byte for byte the commit of one fast-import line per file: changes, additions, deletions", async () => {
    const changes = new Map<string, Buffer | null>();
    for (let i = 0; i < 20; i += 2) changes.set(`components/x${i}.json`, record(`x${i}`, "pending"));
    changes.set("components/x3.json", null);
    changes.set("components/y-new.json", record("y-new", "pending"));
    changes.set("components/X-upper.json", record("X-upper", "pending"));
    changes.set("sessions/s2.json", Buffer.from("{}\n"));
    changes.set("links/l1.json", Buffer.from("[]\n"));
    changes.set("links/l2.json", Buffer.from("[]\n"));
    const trees = await commitWith(2, changes);
    const plain = await commitWith(Infinity, changes);
    expect(trees.same.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(trees.same).toEqual(plain.same);
    expect([trees.loose, plain.loose]).toEqual([1, 0]); // the components/ tree, and nothing else
    expect(trees.same.listing).toContain("120000 blob");
    expect(trees.same.listing).not.toContain("components/x3.json");
    expect(trees.same.listing).toContain("components/y-new.json");
  });

  it("removes a directory whose every file is deleted, as the per-file lines do", async () => {
    const changes = new Map<string, Buffer | null>();
    for (let i = 0; i < 20; i++) changes.set(`components/x${i}.json`, null);
    const trees = await commitWith(2, changes);
    expect(trees.same).toEqual((await commitWith(Infinity, changes)).same);
    expect(trees.same.listing).not.toContain("components/");
  });
});
