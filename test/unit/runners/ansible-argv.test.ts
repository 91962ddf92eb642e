import { describe, expect, it } from "vitest";
import { ansibleArgv } from "../../../src/runners/steps/index.js";

describe("ansibleArgv", () => {
  it.each([
    { what: "only the inventory and the playbook", input: {}, argv: ["-i", "hosts/", "layer0/site.yml"] },
    {
      what: "an empty limit as no limit",
      input: { limit: "", verbosity: 0 },
      argv: ["-i", "hosts/", "layer0/site.yml"],
    },
    {
      what: "the limit and one -v per verbosity level",
      input: { limit: "Compute,!nid000001", verbosity: 3 },
      argv: ["-i", "hosts/", "--limit", "Compute,!nid000001", "-vvv", "layer0/site.yml"],
    },
    {
      what: "verbosity above 4 as -vvvv",
      input: { verbosity: 9 },
      argv: ["-i", "hosts/", "-vvvv", "layer0/site.yml"],
    },
    {
      what: "negative verbosity as none",
      input: { verbosity: -1 },
      argv: ["-i", "hosts/", "layer0/site.yml"],
    },
    {
      what: "passthrough tokens as given, before the playbook",
      input: { passthrough: ["-e", "a=b c", "--tags", "x"] },
      argv: ["-i", "hosts/", "-e", "a=b c", "--tags", "x", "layer0/site.yml"],
    },
  ])("passes $what", ({ input, argv }) => {
    expect(ansibleArgv({ playbook: "layer0/site.yml", inventoryDir: "hosts/", ...input })).toEqual(argv);
  });
});
