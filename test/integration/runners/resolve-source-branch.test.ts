/**
 * The controller pins a branch layer of a source (configurations/<name>.json) with the source's
 * credentials: sourceBranchResolver runs `git ls-remote` against a real HTTP git server that wants
 * them; without them, or without the source, the branch cannot be resolved, and no error names
 * the password.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ResolvedConfiguration, SourceManifest } from "../../../src/api/index.js";
import { branchesToResolve } from "../../../src/plan/index.js";
import { sourceBranchResolver } from "../../../src/runners/local/index.js";
import { makeLayerRepo, tempDir } from "../../helpers/ansible-fixtures.js";
import { startGitHttpServer, type GitHttpServer } from "../../helpers/git-http-server.js";

const AUTH = { username: "pin-user", password: "Pin-Branch-Pw-9931" };
const servers: GitHttpServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

function source(url: string): SourceManifest {
  return {
    apiVersion: "cfs-gitops/v1",
    kind: "Source",
    name: "site-vcs",
    clone_url: url,
    credentials: { authentication_method: "password", secret_name: "site-creds" },
  };
}

describe("sourceBranchResolver", () => {
  it("resolves a source's branch with the source's credentials, and not without them", async () => {
    const root = tempDir();
    const repo = makeLayerRepo(root, "site", { "site.yml": "- hosts: all\n  tasks: []\n" });
    const server = await startGitHttpServer({ root, auth: AUTH });
    servers.push(server);
    const url = server.url("site.git");
    const dirs = { secretsDir: join(root, "secrets"), configMapsDir: join(root, "configmaps") };
    const resolve = sourceBranchResolver(dirs);

    const missing = await resolve({ url, branch: "main", source: source(url) }).then(
      () => "resolved",
      (error: Error) => error.message,
    );
    expect(missing).toContain(join(dirs.secretsDir, "site-creds", "username"));

    mkdirSync(join(dirs.secretsDir, "site-creds"), { recursive: true });
    writeFileSync(join(dirs.secretsDir, "site-creds", "username"), AUTH.username);
    writeFileSync(join(dirs.secretsDir, "site-creds", "password"), AUTH.password);
    expect(await resolve({ url, branch: "main", source: source(url) })).toBe(repo.commit);

    const without = await resolve({ url, branch: "main" }).then(
      () => "resolved",
      (error: Error) => error.message,
    );
    expect(without).not.toBe("resolved");
    expect(without).not.toContain(AUTH.password);
  });

  it("is handed the source of each branch layer that names one", () => {
    const src = source("https://vcs.example.org/site.git");
    const configuration: ResolvedConfiguration = {
      apiVersion: "cfs-gitops/v1",
      kind: "Configuration",
      name: "cfg",
      layers: [
        { source: "site-vcs", clone_url: src.clone_url, branch: "main", playbook: "site.yml" },
        { clone_url: "https://git.example.org/plain.git", branch: "main", playbook: "site.yml" },
      ],
    };
    const refs = branchesToResolve(
      new Map([["cfg", configuration]]),
      new Map(),
      new Map([["site-vcs", src]]),
    );
    expect(refs).toEqual([
      { url: src.clone_url, branch: "main", source: src },
      { url: "https://git.example.org/plain.git", branch: "main" },
    ]);
  });
});
