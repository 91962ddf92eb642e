import { describe, expect, it } from "vitest";
import { commitSubject, parseCommitObject, trailerValues } from "../../../src/git/commit-object.js";
import { parseAllowedSigners, parseSshTime, verifySshSignature } from "../../../src/git/ssh-signature.js";

const KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIMZkF3aG0z3pNUm2cyrN3dGz7Q0Oa1PJQx1GQ8l3mCVm";

describe("parseAllowedSigners", () => {
  it("reads principals, quoted options with commas, and skips comments and lines ssh-keygen would reject", () => {
    const text = [
      "# site keys",
      "",
      `jane@example.org,ops@example.org ssh-ed25519 ${KEY} jane's laptop`,
      `bob@example.org namespaces="git,file",valid-after="20260101",valid-before="20270101Z" ssh-ed25519 ${KEY}`,
      `ca@example.org cert-authority ssh-ed25519 ${KEY}`,
      `odd@example.org no-such-option ssh-ed25519 ${KEY}`,
      "broken-line-without-a-key",
    ].join("\n");
    const signers = parseAllowedSigners(text);
    expect(signers.map((s) => s.principals)).toEqual([
      "jane@example.org,ops@example.org",
      "bob@example.org",
      "ca@example.org",
    ]);
    expect(signers[1]).toMatchObject({ namespaces: "git,file", key: KEY, certAuthority: false });
    expect(signers[1]?.validBefore?.toISOString()).toBe("2027-01-01T00:00:00.000Z");
    expect(signers[2]?.certAuthority).toBe(true);
  });
});

describe("parseSshTime", () => {
  it("reads UTC with Z and local time without, as ssh-keygen does", () => {
    expect(parseSshTime("20270102123456Z").toISOString()).toBe("2027-01-02T12:34:56.000Z");
    expect(parseSshTime("202701021234").getTime()).toBe(new Date(2027, 0, 2, 12, 34, 0).getTime());
    expect(Number.isNaN(parseSshTime("2027-01-02").getTime())).toBe(true);
  });
});

describe("verifySshSignature", () => {
  it("calls a malformed signature bad", () => {
    const armored = "-----BEGIN SSH SIGNATURE-----\nbm90IGEgc2lnbmF0dXJl\n-----END SSH SIGNATURE-----";
    const verdict = verifySshSignature({ payload: Buffer.from("x"), armored, allowed: [], time: new Date() });
    expect(verdict?.reason).toBe("bad-signature");
  });
});

describe("parseCommitObject", () => {
  it("splits the signature from the signed payload byte for byte, and reads subject and trailers", () => {
    const raw = Buffer.concat([
      Buffer.from(
        "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent aaaa\nauthor Jane <j@example.org> 1700000000 +0100\n" +
          "committer Jane <j@example.org> 1700000060 +0100\ngpgsig -----BEGIN SSH SIGNATURE-----\n abc\n -----END SSH SIGNATURE-----\n" +
          "\nFix the\nsubject\n\nbody \xe4\n\nCfs-Approve: 1234567\ncfs-approve: 89abcdef\n",
        "latin1",
      ),
    ]);
    const commit = parseCommitObject(raw);
    expect(commit.signature).toBe("-----BEGIN SSH SIGNATURE-----\nabc\n-----END SSH SIGNATURE-----");
    const expected =
      "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent aaaa\nauthor Jane <j@example.org> 1700000000 +0100\n" +
      "committer Jane <j@example.org> 1700000060 +0100\n\nFix the\nsubject\n\nbody \xe4\n\nCfs-Approve: 1234567\ncfs-approve: 89abcdef\n";
    expect(commit.payload.equals(Buffer.from(expected, "latin1"))).toBe(true);
    expect(commit.parents).toEqual(["aaaa"]);
    expect(commit.author).toBe("Jane <j@example.org>");
    expect(commit.committerTime.getTime()).toBe(1_700_000_060_000);
    expect(commitSubject(commit.message)).toBe("Fix the subject");
    expect(trailerValues(commit.message, "Cfs-Approve")).toEqual(["1234567", "89abcdef"]);
  });
});
