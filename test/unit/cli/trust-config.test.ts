import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveTrustConfig } from "../../../src/cli/trust-config.js";

const dir = mkdtempSync(join(tmpdir(), "cfs-trust-"));
writeFileSync(join(dir, "allowed"), "");
writeFileSync(join(dir, "keys.asc"), "");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("resolveTrustConfig", () => {
  it("is off by default, and keeps a signing key on its own", () => {
    expect(resolveTrustConfig({}, {}, dir)).toEqual({ verify: null, signingKey: null });
    expect(resolveTrustConfig({ signingKey: "allowed" }, {}, dir)).toEqual({
      verify: null,
      signingKey: join(dir, "allowed"),
    });
  });

  it("reads the flags, or the environment, with paths relative to the folder", () => {
    const fromFlags = resolveTrustConfig({ verifyCommits: true, allowedSigners: "allowed" }, {}, dir);
    expect(fromFlags.verify).toEqual({
      allowedSigners: join(dir, "allowed"),
      gpgKeyring: null,
      trustFrom: null,
    });
    const commit = "a".repeat(40);
    const fromEnv = resolveTrustConfig(
      {},
      {
        CFS_GITOPS_VERIFY_COMMITS: "true",
        CFS_GITOPS_GPG_KEYRING: "keys.asc",
        CFS_GITOPS_VERIFY_FROM: commit,
      },
      dir,
    );
    expect(fromEnv.verify).toEqual({
      allowedSigners: null,
      gpgKeyring: join(dir, "keys.asc"),
      trustFrom: commit,
    });
  });

  it.each([
    [{ verifyCommits: true }, {}, "--verify-commits needs --allowed-signers FILE and/or --gpg-keyring FILE"],
    [
      { verifyCommits: true, allowedSigners: "missing" },
      {},
      `--allowed-signers ${join(dir, "missing")}: no such file`,
    ],
    [
      { verifyCommits: true, allowedSigners: "allowed", verifyFrom: "main" },
      {},
      "--verify-from main: expected a full commit id",
    ],
    [{}, { CFS_GITOPS_VERIFY_COMMITS: "maybe" }, "CFS_GITOPS_VERIFY_COMMITS=maybe: expected true or false"],
  ])("fails at start with one clear line: %o %o", (flags, env, message) => {
    expect(() => resolveTrustConfig(flags, env, dir)).toThrow(message);
  });
});
