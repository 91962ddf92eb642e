import { describe, expect, it } from "vitest";
import { verifiedFrontier } from "../../../src/git/verified-frontier.js";
import type { CommitVerdict, VerdictReason } from "../../../src/git/verify-commits.js";

const id = (name: string): string => name.padEnd(40, "0");

function verdict(
  name: string,
  parents: string[],
  reason: VerdictReason = "good",
  approves: string[] = [],
): CommitVerdict {
  return {
    commit: id(name),
    parents: parents.map(id),
    verified: reason === "good",
    reason,
    signer: null,
    key: null,
    author: "A <a@example.org>",
    time: "2026-01-01T00:00:00Z",
    subject: name,
    approves,
    detail: "",
  };
}

describe("verifiedFrontier", () => {
  it("takes in the tip when every new commit is verified", () => {
    const verdicts = [verdict("b1", ["a0"]), verdict("b2", ["b1"])];
    const result = verifiedFrontier({ from: id("a0"), tip: id("b2"), verdicts });
    expect(result).toEqual({ frontier: id("b2"), blocking: [], approved: new Map() });
  });

  it("stops before an unsigned commit, and a signed commit on top does not launder it", () => {
    const verdicts = [verdict("b1", ["a0"]), verdict("b2", ["b1"], "unsigned"), verdict("b3", ["b2"])];
    const result = verifiedFrontier({ from: id("a0"), tip: id("b3"), verdicts });
    expect(result.frontier).toBe(id("b1"));
    expect(result.blocking.map((v) => v.commit)).toEqual([id("b2")]);
  });

  it("stays at the last verified commit when the first new commit is not verified", () => {
    const verdicts = [verdict("b1", ["a0"], "unknown-key"), verdict("b2", ["b1"])];
    expect(verifiedFrontier({ from: id("a0"), tip: id("b2"), verdicts }).frontier).toBe(id("a0"));
  });

  it("takes in an unverified commit that a later verified commit approves, by full id or prefix", () => {
    const verdicts = [
      verdict("b1", ["a0"], "unsigned"),
      verdict("b2", ["b1"], "bad-signature"),
      verdict("b3", ["b2"], "good", [id("b1"), id("b2").slice(0, 7)]),
    ];
    const result = verifiedFrontier({ from: id("a0"), tip: id("b3"), verdicts });
    expect(result.frontier).toBe(id("b3"));
    expect(result.blocking).toEqual([]);
    expect(result.approved).toEqual(
      new Map([
        [id("b1"), id("b3")],
        [id("b2"), id("b3")],
      ]),
    );
  });

  it("ignores an approval made by a commit that is not verified itself", () => {
    const verdicts = [verdict("b1", ["a0"], "unsigned"), verdict("b2", ["b1"], "unsigned", [id("b1")])];
    const result = verifiedFrontier({ from: id("a0"), tip: id("b2"), verdicts });
    expect(result.frontier).toBe(id("a0"));
    expect(result.blocking).toHaveLength(2);
  });

  it("does not take in a merge whose merged branch holds an unsigned commit, nor stop on a side-branch commit", () => {
    // a0 - m1 (first parent line) - m2 (merge of f1 - f2u)
    const verdicts = [
      verdict("m1", ["a0"]),
      verdict("f1", ["a0"]),
      verdict("f2", ["f1"], "unsigned"),
      verdict("m2", ["m1", "f2"]),
    ];
    const result = verifiedFrontier({ from: id("a0"), tip: id("m2"), verdicts });
    expect(result.frontier).toBe(id("m1"));
  });

  it("holds at the last verified commit after a force-push to an unsigned history", () => {
    // The new history shares only the root with the old one: its commits are all new and unsigned.
    const verdicts = [verdict("x1", ["r0"], "unsigned"), verdict("x2", ["x1"], "unsigned")];
    const result = verifiedFrontier({ from: id("old"), tip: id("x2"), verdicts });
    expect(result.frontier).toBe(id("old"));
    expect(result.blocking).toHaveLength(2);
  });

  it("takes in a reset backwards (the tip is no new commit) as it is", () => {
    expect(verifiedFrontier({ from: id("b2"), tip: id("b1"), verdicts: [] }).frontier).toBe(id("b1"));
  });

  it("with no verified commit yet and an unsigned root, takes in nothing", () => {
    const verdicts = [verdict("r0", [], "unsigned"), verdict("r1", ["r0"])];
    expect(verifiedFrontier({ from: null, tip: id("r1"), verdicts }).frontier).toBeNull();
  });
});
