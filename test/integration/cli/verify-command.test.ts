/** `cfs-gitops verify [RANGE]` in a local checkout, with SSH keys made here: verdicts and exit codes for CI. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CliIo } from "../../../src/cli/io.js";
import { runCli } from "../../../src/cli/run-cli.js";
import { ConfigRepo, tempDir } from "../../helpers/config-repo.js";
import { commitSigned, makeSshKey, writeAllowedSigners, type SshKey } from "../../helpers/signing-keys.js";

let dir: { path: string; cleanup: () => void };
let repo: ConfigRepo;
let alice: SshKey;
let mallory: SshKey;

beforeEach(() => {
  dir = tempDir("cfs-verify-cli-");
  repo = new ConfigRepo(join(dir.path, "config"));
  alice = makeSshKey(join(dir.path, "keys"), "alice");
  mallory = makeSshKey(join(dir.path, "keys"), "mallory");
  writeAllowedSigners(join(repo.path, ".allowed_signers"), [{ principal: "alice@example.org", key: alice }]);
});

afterEach(() => dir.cleanup());

async function run(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (text) => void (stdout += text) },
    stderr: { write: (text) => void (stderr += text) },
    stdin: null,
    env: { HOME: dir.path, PATH: process.env["PATH"], CFS_GITOPS_DATA_DIR: join(dir.path, "data"), ...env },
    cwd: repo.path,
    now: () => new Date(),
    sleep: () => Promise.resolve(),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

describe("cfs-gitops verify", () => {
  it("prints each commit's verdict and exits 1 when one is neither verified nor approved", async () => {
    const base = commitSigned({
      repo: repo.path,
      key: alice,
      files: { "cfs.yaml": "a: 1\n" },
      message: "base",
    });
    const good = commitSigned({ repo: repo.path, key: alice, message: "by alice" });
    const unknown = commitSigned({ repo: repo.path, key: mallory, message: "by mallory" });

    const result = await run([
      "verify",
      `${base}..main`,
      "--repo",
      ".",
      "--allowed-signers",
      ".allowed_signers",
    ]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(
        `^${good.slice(0, 12)}  good +alice@example.org  Test Author <author@example.org>: by alice$`,
      ),
    );
    expect(lines[1]).toMatch(
      new RegExp(
        `^${unknown.slice(0, 12)}  unknown-key +SHA256:\\S+  Test Author <author@example.org>: by mallory$`,
      ),
    );
    expect(result.stderr).toBe("cfs-gitops: 1 of 2 commits not verified\n");

    commitSigned({ repo: repo.path, key: alice, message: `approve\n\nCfs-Approve: ${unknown}` });
    const approved = await run(["verify", `${base}..main`, "--repo", ".", "--format", "json"], {
      CFS_GITOPS_ALLOWED_SIGNERS: ".allowed_signers",
    });
    expect(approved.code).toBe(0);
    const rows = JSON.parse(approved.stdout) as Array<{
      commit: string;
      reason: string;
      approvedBy: string | null;
    }>;
    expect(rows.map((r) => [r.commit, r.reason, r.approvedBy !== null])).toEqual([
      [good, "good", false],
      [unknown, "unknown-key", true],
      [rows[2]?.commit, "good", false],
    ]);
  });

  it("verifies the watched branch's whole history by default, and wants at least one key file", async () => {
    commitSigned({ repo: repo.path, key: null, message: "unsigned root" });
    const all = await run(["verify", "--repo", ".", "--allowed-signers", ".allowed_signers"]);
    expect(all.code).toBe(1);
    expect(all.stdout).toContain("unsigned");

    const noKeys = await run(["verify", "--repo", "."]);
    expect(noKeys.code).toBe(2);
    expect(noKeys.stderr).toContain("give --allowed-signers FILE and/or --gpg-keyring FILE");
  });

  it("controller --once --verify-commits --signing-key: holds an unsigned commit and signs its status commits", async () => {
    const signed = commitSigned({
      repo: repo.path,
      key: alice,
      files: { "cfs.yaml": "apiVersion: cfs-gitops/v1\nkind: Options\n" },
    });
    const unsigned = commitSigned({
      repo: repo.path,
      key: null,
      files: { "sessions/x.yaml": "not: yaml: [" },
      message: "unsigned",
    });
    const controllerKey = makeSshKey(join(dir.path, "keys"), "controller");
    const result = await run([
      "controller",
      "--once",
      "--repo",
      repo.path,
      "--data-dir",
      join(dir.path, "data"),
      "--log-level",
      "error",
      "--verify-commits",
      "--allowed-signers",
      join(repo.path, ".allowed_signers"),
      "--signing-key",
      controllerKey.privateKey,
    ]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(repo.statusFile(`unverified/${unsigned}.json`)).toContain('"reason": "unsigned"');
    // The unsigned commit's broken manifest was never taken in: no problem recorded for it.
    expect(repo.statusFile("problems/sessions/x.yaml.json")).toBeNull();
    expect(readFileSync(join(dir.path, "data", "verified", "main.commit"), "utf8").trim()).toBe(signed);

    const auditors = join(dir.path, "controller_signers");
    writeAllowedSigners(auditors, [{ principal: "cfs-gitops@localhost", key: controllerKey }]);
    const audit = await run(["verify", "cfs-status", "--repo", ".", "--allowed-signers", auditors]);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(
      / good +cfs-gitops@localhost +cfs-gitops <cfs-gitops@localhost>: verify: 1 commit not verified/,
    );
  });
});
