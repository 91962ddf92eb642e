/**
 * The Gitea forge against a real Gitea (test/forge/build.sh builds it): commit statuses, the one
 * marked comment edited in place, a pull request's head and changed files, and a refused token.
 * The forge's token has only the scopes the README asks for (write:repository, write:issue).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGiteaForge, tokenFromFile, type Forge } from "../../../src/forge/index.js";
import { startGitea, type GiteaServer } from "../../helpers/gitea-server.js";

const REPO = "cfs-admin/site-config";

let dir: string;
let gitea: GiteaServer;
let forge: Forge;
let pr: { number: number; head: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cfs-gitea-forge-"));
  gitea = await startGitea({ root: join(dir, "gitea") });
  await gitea.api("POST", "/user/repos", {
    name: "site-config",
    auto_init: true,
    default_branch: "main",
    private: true,
  });
  const content = Buffer.from("apiVersion: cfs-gitops/v1\nkind: Session\nname: s1\n").toString("base64");
  await gitea.api("POST", `/repos/${REPO}/contents/sessions/s1.yaml`, {
    content,
    message: "add s1",
    branch: "main",
    new_branch: "add-s1",
  });
  const opened = await gitea.api("POST", `/repos/${REPO}/pulls`, {
    head: "add-s1",
    base: "main",
    title: "add s1",
  });
  pr = { number: opened.json.number as number, head: opened.json.head.sha as string };
  const scoped = await gitea.createToken("cfs-gitops", ["write:repository", "write:issue"]);
  writeFileSync(join(dir, "forge-token"), `${scoped}\n`);
  forge = createGiteaForge({
    baseUrl: gitea.apiUrl,
    repo: REPO,
    token: tokenFromFile(join(dir, "forge-token")),
  });
});

afterAll(async () => {
  await gitea?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the Gitea forge on a real Gitea", () => {
  it("reads a pull request's head, base, branch and changed files", async () => {
    expect(await forge.getPullRequest(pr.number)).toEqual({
      number: pr.number,
      headSha: pr.head,
      base: "main",
      headBranch: "add-s1",
      headRef: `refs/pull/${pr.number}/head`,
      changedFiles: ["sessions/s1.yaml"],
    });
  });

  it("sets commit statuses, the newest per context winning", async () => {
    await forge.setCommitStatus({
      sha: pr.head,
      context: "cfs-gitops/validate",
      state: "pending",
      description: "checking",
    });
    await forge.setCommitStatus({
      sha: pr.head,
      context: "cfs-gitops/validate",
      state: "failure",
      description: "1 problem: sessions/s1.yaml:1: no configuration",
      targetUrl: "https://ci.example.org/42",
    });
    const combined = await gitea.api("GET", `/repos/${REPO}/commits/${pr.head}/status`);
    expect(combined.json.statuses).toEqual([
      expect.objectContaining({
        context: "cfs-gitops/validate",
        status: "failure",
        description: "1 problem: sessions/s1.yaml:1: no configuration",
        target_url: "https://ci.example.org/42",
      }),
    ]);
  });

  it("keeps one marked comment, edited in place, and leaves other comments alone", async () => {
    await gitea.api("POST", `/repos/${REPO}/issues/${pr.number}/comments`, { body: "a reviewer's comment" });
    const first = await forge.upsertComment({ pr: pr.number, marker: "pr-preview", body: "preview one" });
    const second = await forge.upsertComment({ pr: pr.number, marker: "pr-preview", body: "preview two" });
    expect(second).toBe(first);
    const comments = await gitea.api("GET", `/repos/${REPO}/issues/${pr.number}/comments`);
    expect((comments.json as { body: string }[]).map((c) => c.body)).toEqual([
      "a reviewer's comment",
      "<!-- cfs-gitops:pr-preview -->\npreview two",
    ]);
  });

  it("fails a refused token as stalling, naming the call and not the token", async () => {
    writeFileSync(join(dir, "bad-token"), "0123456789abcdef0123456789abcdef01234567\n");
    const bad = createGiteaForge({
      baseUrl: gitea.apiUrl,
      repo: REPO,
      token: tokenFromFile(join(dir, "bad-token")),
    });
    const error = await bad.getPullRequest(pr.number).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "http", status: 401, retry: "stalling" });
    expect((error as Error).message).toMatch(new RegExp(`^GET /repos/${REPO}/pulls/${pr.number}: HTTP 401`));
    expect((error as Error).message).not.toContain("0123456789abcdef");
  });
});
