import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBenchRepo } from "../../../bench/lib/bench-repo.js";
import { git } from "../../../bench/lib/git.js";
import { wireController } from "../../../bench/lib/wire.js";
import { isSettledSession } from "../../../src/api/index.js";
import { makeTempDir, removeTempDir } from "../../helpers/git-fixture.js";

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir("cfs-bench-repo-");
});
afterEach(() => removeTempDir(dir));

async function paths(gitDir: string, ref: string, under: string): Promise<string[]> {
  const out = (await git(["ls-tree", "-r", "--name-only", ref, "--", under], { gitDir })).toString();
  return out.trim().split("\n").filter(Boolean);
}

describe("createBenchRepo with components", () => {
  it("writes component manifests and configured records; a restart on them plans and commits nothing", async () => {
    const gitDir = join(dir, "big.git");
    const shape = { sessions: 30, configurations: 4 };
    await createBenchRepo({ gitDir, shape, recorded: 30, logsPerSession: 1, components: 12 });

    expect(await paths(gitDir, "main", "components/")).toHaveLength(12);
    expect(await paths(gitDir, "cfs-status", "components/")).toHaveLength(12);
    expect(await paths(gitDir, "cfs-status", "configurations/")).toHaveLength(4);

    const wired = await wireController({ where: { kind: "local", path: gitDir } });
    try {
      await wired.controller.pass();
      expect(wired.controller.error).toBeNull();
      expect(wired.reports[0]).toMatchObject({ actions: 0, statusCommit: null });
      expect(wired.controller.components.size).toBe(12);
      const sessions = [...wired.controller.records.sessions.values()];
      expect(sessions.filter(isSettledSession)).toHaveLength(30);
    } finally {
      await wired.close();
    }
  });
});
