import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CliError } from "../../../src/cli/errors.js";
import {
  manifestYaml,
  optionOccurrences,
  sessionManifestFromFlags,
  sessionPairs,
} from "../../../src/cli/session-flags.js";
import { parseManifest } from "../../../src/manifest/index.js";

const NONE = { groups: [], imageMap: [] };
const IMAGE_A = "902b4a80-3ac2-40d5-b65e-86ac3e12f209";
const IMAGE_B = "4c1bb1a5-2b8c-4f0e-9c39-6a1d4c3b2a10";

describe("optionOccurrences", () => {
  const occurrences = (argv: string[]) =>
    optionOccurrences({ argv, flag: "--target-group", arity: 2, usage: "NAME MEMBERS" });

  it.each([
    [[], []],
    [["--target-group", "a", "x,y"], [["a", "x,y"]]],
    [
      ["--target-group", "a", "x", "--name", "n", "--target-group", "b", "z"],
      [
        ["a", "x"],
        ["b", "z"],
      ],
    ],
    [["--target-group=a", "x"], [["a", "x"]]],
    [["--name", "n", "--", "--target-group", "a"], []],
  ])("finds the values of each occurrence in %j", (argv, expected) => {
    expect(occurrences(argv)).toEqual(expected);
  });

  it.each([
    [["--target-group", "a"], "--target-group takes NAME MEMBERS; got a"],
    [["--target-group"], "--target-group takes NAME MEMBERS; got nothing"],
    [["--target-group", "a", "b", "c"], "--target-group takes NAME MEMBERS; got a b c"],
    [["--target-group", "a", "--wait"], "--target-group takes NAME MEMBERS; got a"],
  ])("refuses %j with exit code 2", (argv, message) => {
    expect(() => occurrences(argv)).toThrow(new CliError(message, 2));
  });
});

describe("sessionManifestFromFlags", () => {
  it("writes only what was given, so CFS's defaults apply to the rest", () => {
    expect(sessionManifestFromFlags({ name: "s", configurationName: "c" }, NONE)).toEqual({
      apiVersion: "cfs-gitops/v1",
      kind: "Session",
      name: "s",
      configuration: { name: "c" },
    });
  });

  it("maps every CFS create option to its manifest field, and the YAML parses back as a valid manifest", () => {
    const pairs = sessionPairs([
      "--target-group",
      "Compute",
      `${IMAGE_A}, ${IMAGE_B}`,
      "--target-group",
      "Login",
      IMAGE_B,
      "--target-image-map",
      IMAGE_A,
      "out",
    ]);
    const manifest = sessionManifestFromFlags(
      {
        name: "s",
        configurationName: "c",
        configurationLimit: "0,1",
        ansibleLimit: "cfs_image",
        ansibleVerbosity: "3",
        ansiblePassthrough: "--tags a",
        ansibleConfig: "cfg",
        targetDefinition: "image",
        tags: "k=v",
        debugOnFailure: true,
      },
      pairs,
    );
    expect(manifest).toMatchObject({
      configuration: { name: "c", limit: "0,1" },
      ansible: { config: "cfg", limit: "cfs_image", verbosity: 3, passthrough: "--tags a" },
      target: {
        definition: "image",
        groups: [
          { name: "Compute", members: [IMAGE_A, IMAGE_B] },
          { name: "Login", members: [IMAGE_B] },
        ],
        image_map: [{ source_id: IMAGE_A, result_name: "out" }],
      },
      tags: { k: "v" },
      debug_on_failure: true,
    });
    const text = manifestYaml(manifest);
    expect(parse(text)).toEqual(manifest);
    const parsed = parseManifest({ path: "sessions/s.yaml", bytes: text });
    expect(parsed.ok ? [] : parsed.errors).toEqual([]);
  });

  it("refuses a verbosity that is not a whole number", () => {
    expect(() =>
      sessionManifestFromFlags({ name: "s", configurationName: "c", ansibleVerbosity: "high" }, NONE),
    ).toThrow("--ansible-verbosity high: must be a whole number from 0 to 4");
  });
});
