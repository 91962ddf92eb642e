import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommitGraph } from "../../../src/git/commit-graph.js";
import { createStatusStore } from "../../../src/git/status-store.js";
import type { StatusStore } from "../../../src/git/types.js";
import {
  createFixtureRepo,
  git,
  makeTempDir,
  removeTempDir,
  type FixtureRepo,
} from "../../helpers/git-fixture.js";
import { captureLog } from "../../helpers/git-log-capture.js";

const BRANCH = "cfs-status";
let dir: string;
let counter = 0;

beforeAll(async () => {
  dir = await makeTempDir();
});

afterAll(async () => {
  await removeTempDir(dir);
});

/** The layers of the repository's split commit-graph (empty when there is none). */
function graphFiles(gitDir: string): string[] {
  const graphs = join(gitDir, "objects", "info", "commit-graphs");
  const chain = join(graphs, "commit-graph-chain");
  if (!existsSync(chain)) return [];
  return readFileSync(chain, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((hash) => join(graphs, `graph-${hash}.graph`));
}

/** Whether the commit-graph holds `commit` (its OID lookup chunk has the raw id) with changed-path Bloom filters. */
function isInGraphWithFilters(gitDir: string, commit: string): boolean {
  const id = Buffer.from(commit, "hex");
  return graphFiles(gitDir).some((file) => {
    const bytes = readFileSync(file);
    // The chunk table (after the 8-byte header) names the Bloom index and data chunks.
    const table = bytes.subarray(8, 8 + 12 * bytes[6]!).toString("latin1");
    return bytes.includes(id) && table.includes("BIDX") && table.includes("BDAT");
  });
}

async function newRepoDir(): Promise<FixtureRepo> {
  const repo = await createFixtureRepo({ dir: `${dir}/repo-${++counter}` });
  await repo.commit({ files: { "cfs.yaml": "session_ttl: 7d\n" } });
  return repo;
}

describe("status store: the commit-graph for the audit trail", () => {
  let repo: FixtureRepo;
  let store: StatusStore;
  let n = 0;
  const commitOne = async (): Promise<string> => {
    n += 1;
    const result = await store.commit({
      changes: new Map([[`sessions/s${n % 2}.json`, Buffer.from(`{"n":${n}}\n`)]]),
      message: () => `status: ${n}\n`,
      now: new Date(Date.UTC(2024, 0, 1, 0, n)),
    });
    if (!result) throw new Error("nothing committed");
    return result.commit;
  };

  beforeAll(async () => {
    repo = await newRepoDir();
    store = await createStatusStore({
      gitDir: repo.path,
      branch: BRANCH,
      log: captureLog().log,
      commitGraphEvery: 3,
    });
  });

  afterAll(async () => {
    await store.close();
  });

  it("writes a commit-graph with changed-path Bloom filters after status commits, and adds the new ones later", async () => {
    expect(graphFiles(repo.gitDir)).toEqual([]);
    // The first commit: no graph has been written yet, so one is written at once (in the background).
    const first = await commitOne();
    await store.close(); // waits for the write in flight
    expect(isInGraphWithFilters(repo.gitDir, first)).toBe(true);

    // Two more: fewer than `commitGraphEvery` since the last write, so not yet in the graph.
    store = await createStatusStore({ gitDir: repo.path, branch: BRANCH, log: captureLog().log });
    await commitOne();
    const third = await commitOne();
    await store.close();
    expect(isInGraphWithFilters(repo.gitDir, third)).toBe(false);

    // The third since the last write: the graph gets a layer for them (the earlier layers stay).
    store = await createStatusStore({ gitDir: repo.path, branch: BRANCH, log: captureLog().log });
    const fourth = await commitOne();
    await store.close();
    expect(isInGraphWithFilters(repo.gitDir, fourth)).toBe(true);
    expect(isInGraphWithFilters(repo.gitDir, third)).toBe(true);
    expect(isInGraphWithFilters(repo.gitDir, first)).toBe(true);

    // git log over a path answers the same with the graph: the commits that changed the record.
    const trail = await git([
      `--git-dir=${repo.gitDir}`,
      "log",
      "--format=%s",
      BRANCH,
      "--",
      "sessions/s1.json",
    ]);
    expect(trail.trim().split("\n")).toEqual(["status: 3", "status: 1"]);
    const verify = await git([`--git-dir=${repo.gitDir}`, "commit-graph", "verify", "--no-progress"]);
    expect(verify).toBe("");
    store = await createStatusStore({ gitDir: repo.path, branch: BRANCH, log: captureLog().log });
  });
});

describe("CommitGraph", () => {
  it("writes on the first new commit once everyMs has passed since the last write, even below everyCommits", async () => {
    const repo = await newRepoDir();
    let now = 1_000_000;
    const { log, lines } = captureLog();
    const graph = new CommitGraph({
      gitDir: repo.gitDir,
      log,
      everyCommits: 100,
      everyMs: 60_000,
      now: () => now,
    });
    const tip = async (): Promise<string> => (await repo.tip("main")) ?? "";
    graph.noteCommits(1);
    await graph.flush();
    expect(isInGraphWithFilters(repo.gitDir, await tip())).toBe(true);

    await repo.commit({ files: { "cfs.yaml": "session_ttl: 8d\n" } });
    now += 59_000;
    graph.noteCommits(1);
    await graph.flush();
    expect(isInGraphWithFilters(repo.gitDir, await tip())).toBe(false);
    now += 1_000;
    graph.noteCommits(1);
    await graph.flush();
    expect(isInGraphWithFilters(repo.gitDir, await tip())).toBe(true);
    expect(lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 40)).toEqual([]);
  });
});
