/** `cfs-gitops verify` on a remote over HTTP: both sides of the range are fetched into the cache first. */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitSigned, makeSshKey, writeAllowedSigners, type SshKey } from "../../helpers/signing-keys.js";
import { startCliRepo, type CliRepo } from "./cli-harness.js";

let repo: CliRepo;
let alice: SshKey;
let allowed: string;

beforeAll(async () => {
  repo = await startCliRepo();
  alice = makeSshKey(join(repo.dir, "keys"), "alice");
  allowed = join(repo.dir, "allowed_signers");
  writeAllowedSigners(allowed, [{ principal: "alice@example.org", key: alice }]);
});

afterAll(async () => {
  await repo.close();
});

function push(branch: string): void {
  execFileSync("git", [
    "-C",
    repo.work,
    "push",
    "--quiet",
    "--force",
    repo.bare,
    `HEAD:refs/heads/${branch}`,
  ]);
}

describe("cfs-gitops verify on a remote", () => {
  it("fetches the branches of the range and judges only the commits between them", async () => {
    const seed = execFileSync("git", ["-C", repo.work, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    const signed = commitSigned({
      repo: repo.work,
      key: alice,
      files: { "cfs.yaml": "a: 1\n" },
      message: "signed",
    });
    push("main");
    const unsigned = commitSigned({
      repo: repo.work,
      key: null,
      files: { "cfs.yaml": "a: 2\n" },
      message: "unsigned",
    });
    push("feature");

    const pr = await repo.run(["verify", "main..feature", "--allowed-signers", allowed]);
    expect(pr.code).toBe(1);
    expect(pr.stdout).toMatch(new RegExp(`^${unsigned.slice(0, 12)}  unsigned `));
    expect(pr.stdout.trim().split("\n")).toHaveLength(1);

    const merged = await repo.run(["verify", `${seed}..main`, "--allowed-signers", allowed]);
    expect(merged).toMatchObject({ code: 0, stderr: "" });
    expect(merged.stdout).toMatch(new RegExp(`^${signed.slice(0, 12)}  good +alice@example.org `));
  });
});
