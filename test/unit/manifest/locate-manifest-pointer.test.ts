import { describe, expect, it } from "vitest";
import { locateManifestPointer } from "../../../src/manifest/index.js";
import { session } from "./fixtures.js";

describe("locateManifestPointer", () => {
  const text = session(
    "s",
    "  limit: base",
    "target:",
    "  definition: spec",
    "  groups:",
    "    - name: g",
    "      members: [a, b]",
    'tags: { "a/b": x, "c~d": y }',
  );

  it.each<[string, number, number]>([
    ["", 1, 1],
    ["/name", 3, 7],
    ["/configuration/name", 5, 9],
    ["/configuration/limit", 6, 10],
    ["/target/groups/0/members/1", 11, 20],
    ["/tags/a~1b", 12, 16],
    ["/tags/c~0d", 12, 26],
  ])("finds %j at %i:%i", (pointer, line, column) => {
    expect(locateManifestPointer(text, pointer)).toEqual({ line, column });
  });

  it("points at the key of the deepest field that exists", () => {
    expect(locateManifestPointer(text, "/target/groups/5/name")).toEqual({ line: 9, column: 3 });
    expect(locateManifestPointer(text, "/ansible/verbosity")).toEqual({ line: 1, column: 1 });
  });

  it("answers 1:1 for text that does not parse", () => {
    expect(locateManifestPointer("a: [\n", "/a")).toEqual({ line: 1, column: 1 });
    expect(locateManifestPointer("", "/name")).toEqual({ line: 1, column: 1 });
  });
});
