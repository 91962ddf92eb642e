import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { git, tempDir } from "../../helpers/config-repo.js";
import { basicAuthSecrets, describeHit, scanForSecrets } from "../../helpers/scan-for-secrets.js";

let dir: { path: string; cleanup: () => void };

beforeEach(() => {
  dir = tempDir("cfs-scan-");
});

afterEach(() => dir.cleanup());

const login = { username: "bot", password: "pa ss/w0rd" };

describe("scanForSecrets", () => {
  it("finds a secret in an unreachable git object, a nested file, the log and a named text", () => {
    const repo = join(dir.path, "repo");
    git(dir.path, ["init", "-q", "-b", "main", repo]);
    const header = Buffer.from(`${login.username}:${login.password}`).toString("base64");
    writeFileSync(join(repo, "blob.txt"), `Authorization: Basic ${header}\n`);
    git(repo, ["hash-object", "-w", "blob.txt"]);
    mkdirSync(join(dir.path, "logs", "deep"), { recursive: true });
    writeFileSync(join(dir.path, "logs", "deep", "x.log"), `url=${encodeURIComponent(login.password)}`);

    const hits = scanForSecrets({
      secrets: { ...basicAuthSecrets("git", login), token: "tok-123" },
      repoDir: repo,
      dirs: [join(dir.path, "logs")],
      logText: ["nothing here", "token tok-123"],
      texts: { "error message": "plain pa ss/w0rd" },
    });

    expect(hits.map(describeHit).sort()).toEqual(
      [
        `git (user:password) (base64) in object ${git(repo, ["hash-object", "blob.txt"])} in ${repo}`,
        `git (url-encoded) in file ${join(dir.path, "logs", "deep", "x.log")}`,
        "token (plain) in log",
        "git (plain) in error message",
      ].sort(),
    );
  });

  it("reports nothing when the secrets appear nowhere", () => {
    const repo = join(dir.path, "repo");
    git(dir.path, ["init", "-q", "-b", "main", repo]);
    writeFileSync(join(repo, "a.txt"), "harmless\n");
    git(repo, ["add", "a.txt"]);
    git(repo, ["commit", "-q", "-m", "a"]);
    expect(
      scanForSecrets({ secrets: basicAuthSecrets("git", login), repoDir: repo, dirs: [repo], logText: "ok" }),
    ).toEqual([]);
  });
});
