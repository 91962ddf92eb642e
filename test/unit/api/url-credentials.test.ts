import { describe, expect, it } from "vitest";
import { withCleanCloneUrl, withoutUrlCredentials } from "../../../src/api/index.js";

describe("withoutUrlCredentials", () => {
  it.each([
    ["https://alice:s3cret@git.example.org/x.git", "https://***@git.example.org/x.git"],
    ["https://ghp_T0ken@github.com/o/x.git", "https://***@github.com/o/x.git"],
    ["HTTP://a:b%40c@host:8080/x.git", "HTTP://***@host:8080/x.git"],
    ["git://u:p@host/x.git", "git://***@host/x.git"],
    ["ssh://git@host/x.git", "ssh://git@host/x.git"],
    ["ssh://git:pw@host:22/x.git", "ssh://git:***@host:22/x.git"],
    ["https://git.example.org/x.git", "https://git.example.org/x.git"],
    ["https://git.example.org/x.git?at=a@b", "https://git.example.org/x.git?at=a@b"],
    ["git@host:x.git", "git@host:x.git"],
    ["/srv/git/x.git", "/srv/git/x.git"],
  ])("%s -> %s", (url, clean) => {
    expect(withoutUrlCredentials(url)).toBe(clean);
  });

  it("returns the same object when the URL carries no credentials", () => {
    const layer = { clone_url: "https://git.example.org/x.git", playbook: "site.yml" };
    expect(withCleanCloneUrl(layer)).toBe(layer);
    expect(withCleanCloneUrl({ ...layer, clone_url: "https://u:p@h/x.git" })).toEqual({
      clone_url: "https://***@h/x.git",
      playbook: "site.yml",
    });
  });
});
