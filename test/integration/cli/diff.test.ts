import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionRecordPath } from "../../../src/api/index.js";
import { git } from "../../helpers/git-fixture.js";
import { SITE_CONFIG, sessionManifest, sessionRecord, startCliRepo, type CliRepo } from "./cli-harness.js";

let repo: CliRepo;

beforeAll(async () => {
  repo = await startCliRepo({
    "sessions/r1.yaml": sessionManifest("r1"),
    "sessions/c1.yaml": sessionManifest("c1"),
  });
  await repo.writeStatus({
    [sessionRecordPath("r1")]: sessionRecord({
      name: "r1",
      status: "running",
      start: "2026-11-21T11:00:00Z",
      text: sessionManifest("r1"),
    }),
    [sessionRecordPath("c1")]: sessionRecord({
      name: "c1",
      status: "complete",
      start: "2026-11-21T10:00:00Z",
      text: sessionManifest("c1"),
    }),
  });
  await repo.push(
    {
      "sessions/new1.yaml": sessionManifest("new1"),
      "sessions/new-bad.yaml": sessionManifest("new-bad").replace("name: site", "name: nope"),
      "sessions/r1.yaml": null,
      "sessions/c1.yaml": sessionManifest("c1", "tags: {edited: yes}\n"),
      "configurations/site.yaml": SITE_CONFIG.replace(
        "name: site\n",
        "name: site\ndescription: now described\n",
      ),
    },
    { branch: "pr-1", message: "a mixed change" },
  );
  await repo.push({ "sessions/new2.yaml": sessionManifest("new2") }, { branch: "pr-2" });
});

afterAll(async () => {
  await repo.close();
});

describe("diff", () => {
  it("previews a mixed change as markdown for the review, and exits 1 because of its problems", async () => {
    const result = await repo.run(["diff", "main..pr-1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("cfs-gitops: 2 problems in pr-1\n");
    const md = result.stdout;
    expect(md).toContain("### cfs-gitops: merging `pr-1` into `main`");
    expect(md).toContain(
      "When this merges, the controller creates **1** session and deletes **1**; **2 problems** to fix before merging.",
    );
    expect(md).toContain("| `new1` | `site` | 2 | spec; test: localhost |");
    expect(md).toContain("| `r1` | running | run cancelled, record removed |");
    expect(md).toMatch(/- `sessions\/new-bad\.yaml:\d+:\d+`: configuration "nope" does not exist/);
    expect(md).toContain('- `sessions/c1.yaml:1:1`: session "c1" already exists; sessions are immutable');
    expect(md).toContain("- configuration `site` changed");
  });

  it("exits 0 for a clean change, with --pr against the watched branch, and prints json", async () => {
    const range = await repo.run(["diff", "main..pr-2"]);
    expect(range.code).toBe(0);
    expect(range.stdout).toContain("creates **1** session and deletes **0**; no problems.");
    const pr = await repo.run(["diff", "--pr", "pr-2"]);
    expect(pr).toMatchObject({ code: 0, stdout: range.stdout });
    const json = JSON.parse((await repo.run(["diff", "--pr", "pr-2", "--format", "json"])).stdout) as {
      created: Array<{ name: string }>;
      problems: unknown[];
    };
    expect(json.created.map((s) => s.name)).toEqual(["new2"]);
    expect(json.problems).toEqual([]);
  });

  it("says when the change does not merge cleanly", async () => {
    await repo.push(
      { "sessions/clash.yaml": sessionManifest("clash", "tags: {side: pr}\n") },
      { branch: "pr-3" },
    );
    await repo.push({ "sessions/clash.yaml": sessionManifest("clash", "tags: {side: main}\n") });
    const result = await repo.run(["diff", "main..pr-3"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("**Does not merge cleanly**: 1 file(s) conflict.");
    expect(result.stdout).toContain("- `sessions/clash.yaml`");
    expect(result.stderr).toBe("cfs-gitops: pr-3 does not merge cleanly into main\n");
  });

  it("works on a local checkout: --pr compares HEAD with the watched branch", async () => {
    await git(["-C", repo.work, "fetch", "--quiet", repo.bare, "+refs/heads/*:refs/remotes/origin/*"]);
    await git(["-C", repo.work, "checkout", "--quiet", "-B", "pr-2", "origin/pr-2"]);
    await git(["-C", repo.work, "branch", "--quiet", "-f", "main", "origin/main"]);
    const result = await repo.run(["diff", "--pr", "--repo", repo.work]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("merging `HEAD` into `main`");
    expect(result.stdout).toContain("| `new2` |");
  });

  it("explains a bad range or revision in one line", async () => {
    expect(await repo.run(["diff"])).toMatchObject({ code: 2 });
    expect((await repo.run(["diff", "--pr"])).stderr).toBe(
      "cfs-gitops: --pr: name the pull request's branch (HEAD means something only in a local checkout)\n",
    );
    expect((await repo.run(["diff", "main"])).stderr).toBe(
      "cfs-gitops: main: expected BASE..HEAD (e.g. main..my-branch)\n",
    );
    const missing = await repo.run(["diff", "main..no-such-branch"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no-such-branch");
  });
});
