import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { historySessionName, writeHistory } from "../../../bench/lib/generate-history.js";
import { git } from "../../../bench/lib/git.js";
import { makeTempDir, removeTempDir } from "../../helpers/git-fixture.js";

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir("cfs-history-");
  await git(["init", "--quiet", "--bare", dir]);
});
afterEach(() => removeTempDir(dir));

async function lines(args: string[]): Promise<string[]> {
  return (await git(args, { gitDir: dir })).toString().trim().split("\n");
}

describe("writeHistory", () => {
  it("commits every record change, deletes records after the TTL and ends on the tip tree", async () => {
    const commits = await writeHistory({
      gitDir: dir,
      branch: "cfs-status",
      days: 3,
      sessionsPerDay: 2,
      commitsPerSession: 4,
      ttlDays: 1,
      template: Buffer.from('{"name":"x","status":{"phase":"complete"}}'),
      tip: new Map([["sessions/live.json", Buffer.from('{"name":"live"}\n')]]),
      start: 1_700_000_000,
    });
    expect(commits).toBe(3 * 2 * 4 + 1);
    expect(await lines(["rev-list", "--count", "cfs-status"])).toEqual([String(commits)]);
    expect(await lines(["ls-tree", "-r", "--name-only", "cfs-status"])).toEqual(["sessions/live.json"]);
    const first = `sessions/${historySessionName(0, 1)}.json`;
    // 4 changes, deleted on day 1 (TTL), never again
    expect(await lines(["log", "--format=%s", "cfs-status", "--", first])).toHaveLength(5);
    const before = await lines(["ls-tree", "-r", "--name-only", "cfs-status~1"]);
    expect(before).toEqual([
      `sessions/${historySessionName(2, 0)}.json`,
      `sessions/${historySessionName(2, 1)}.json`,
    ]);
    const record = JSON.parse((await git(["show", `cfs-status~1:${before[0]}`], { gitDir: dir })).toString());
    expect(record).toEqual({
      name: historySessionName(2, 0),
      status: { phase: "complete" },
      history_phase: 3,
    });
  });
});
