/**
 * openRepository's `oneReader` (what every one-shot command asks for): a local repository's two
 * branches are read through one `git cat-file` process, counted among this process's children,
 * and closing the repository ends it. Without it (the controller), each has its own.
 */
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRepository } from "../../../src/cli/open-repo.js";
import { resolveRepoConfig } from "../../../src/cli/config.js";
import {
  createFixtureRepo,
  makeTempDir,
  removeTempDir,
  type FixtureRepo,
} from "../../helpers/git-fixture.js";
import { captureLog } from "../../helpers/git-log-capture.js";

let dir: string;
let repo: FixtureRepo;
const { log } = captureLog();

/** This process's children running `git cat-file` (Linux /proc). */
function catFileChildren(): number {
  let count = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (ppid === process.pid && cmdline.includes("cat-file")) count += 1;
    } catch {
      // the process ended while we looked
    }
  }
  return count;
}

beforeAll(async () => {
  dir = await makeTempDir();
  repo = await createFixtureRepo({ dir: `${dir}/site` });
  await repo.commit({ files: { "sessions/a.yaml": "name: a\n" } });
  await repo.commit({ branch: "cfs-status", files: { "sessions/a.json": "{}\n" } });
});

afterAll(async () => {
  await removeTempDir(dir);
});

async function readBoth(oneReader: boolean): Promise<{ children: number; after: number }> {
  const config = resolveRepoConfig({ repo: `${dir}/site` }, {});
  const opened = await openRepository({ config, log, oneReader });
  const watched = await opened.source.fetchTip();
  const status = await opened.status.load();
  expect(watched).toBe(await repo.tip("main"));
  expect(status.tip).toBe(await repo.tip("cfs-status"));
  const blob = status.files.get("sessions/a.json")!;
  expect((await opened.status.readBlobs([blob])).get(blob)?.toString()).toBe("{}\n");
  const children = catFileChildren();
  await opened.close();
  return { children, after: catFileChildren() };
}

describe("openRepository", () => {
  it("reads both branches of a local repository through one cat-file process with oneReader", async () => {
    expect(await readBoth(true)).toEqual({ children: 1, after: 0 });
  });

  it("keeps one process per branch without it (the controller)", async () => {
    expect(await readBoth(false)).toEqual({ children: 2, after: 0 });
  });
});
