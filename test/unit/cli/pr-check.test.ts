import { describe, expect, it } from "vitest";
import type { Preview } from "../../../src/cli/diff-preview.js";
import {
  MAX_COMMENT_CHARS,
  capComment,
  touchesManifests,
  validateStatus,
} from "../../../src/cli/pr-check.js";

const EMPTY: Preview = {
  created: [],
  deleted: [],
  changes: [],
  problems: [],
  existingProblems: 0,
  fixedProblems: 0,
  conflicts: [],
};

describe("touchesManifests", () => {
  it.each([
    [["sessions/a.yaml"], true],
    [["configurations/site.yaml"], true],
    [["components/x1.yaml"], true],
    [["sources/base.yaml"], true],
    [["cfs.yaml"], true],
    [["README.md", "ansible/site.yml", "docs/cfs.yaml", "sessionsx/a.yaml"], false],
    [[], false],
  ])("%j -> %s", (files, expected) => {
    expect(touchesManifests(files)).toBe(expected);
  });
});

describe("validateStatus", () => {
  it("is success with what the merge creates and deletes", () => {
    const preview = {
      ...EMPTY,
      created: [{ name: "a", path: "sessions/a.yaml", configuration: "c", target: "", layers: 1 }],
    };
    expect(validateStatus(preview)).toEqual({
      state: "success",
      description: "valid: creates 1 session, deletes 0",
    });
  });

  it("is failure with the first problems, file:line first", () => {
    const problem = (path: string, line: number) => ({
      path,
      error: { line, column: 3, code: "schema", message: `bad thing in ${path}` },
    });
    const preview = { ...EMPTY, problems: [problem("sessions/a.yaml", 4), problem("sessions/b.yaml", 2)] };
    expect(validateStatus(preview)).toEqual({
      state: "failure",
      description:
        "2 problems: sessions/a.yaml:4: bad thing in sessions/a.yaml; sessions/b.yaml:2: bad thing in sessions/b.yaml",
    });
  });

  it("is failure when the pull request does not merge cleanly", () => {
    expect(validateStatus({ ...EMPTY, conflicts: ["sessions/a.yaml"] })).toEqual({
      state: "failure",
      description: "does not merge cleanly: sessions/a.yaml",
    });
  });
});

describe("capComment", () => {
  it("keeps a preview that fits, and cuts a longer one at a line, saying how to see the rest", () => {
    expect(capComment("short\n")).toBe("short\n");
    const long = Array.from({ length: 5000 }, (_, i) => `| \`session-${i}\` | \`site\` | 1 | spec |`).join(
      "\n",
    );
    const cut = capComment(long);
    expect(cut.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(cut).toMatch(
      /\| spec \|\n\n_The preview is cut here \(too long for a comment\): run `cfs-gitops diff --pr` for all of it\._\n$/,
    );
  });
});
