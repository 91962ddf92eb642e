import { describe, expect, it } from "vitest";
import type { ComponentRecord, ConfigurationRecord } from "../../../src/api/index.js";
import { parseManifest } from "../../../src/manifest/index.js";
import { assembleDesired, planWithComponents, type RepoFile } from "../../../src/plan/index.js";
import {
  componentFiles,
  configurationFiles,
  configuredStatusFiles,
  type ComponentShape,
} from "../../../bench/lib/generate-components.js";
import { blobId } from "../../../bench/lib/generate.js";

const SHAPE: ComponentShape = { components: 300, configurations: 3, shift: 0 };
const COMMIT = "c".repeat(40);
const NOW = new Date("2026-12-01T00:00:00Z");

function parsedFiles(files: Map<string, Buffer>): RepoFile[] {
  return [...files].map(([path, bytes]) => ({
    path,
    blob: blobId(bytes),
    commit: COMMIT,
    parsed: parseManifest({ path, bytes, mode: "100644" }),
  }));
}

/** The generated status files as the controller holds them. */
function records(shape: ComponentShape): {
  components: Map<string, ComponentRecord>;
  configurations: Map<string, ConfigurationRecord>;
} {
  const components = new Map<string, ComponentRecord>();
  const configurations = new Map<string, ConfigurationRecord>();
  for (const [path, bytes] of configuredStatusFiles(shape, "2026-11-30T00:00:00Z")) {
    const value = JSON.parse(bytes.toString("utf8")) as ComponentRecord & ConfigurationRecord;
    if (path.startsWith("components/")) components.set(value.id, value);
    else configurations.set(value.name, value);
  }
  return { components, configurations };
}

function plan(shift: number): ReturnType<typeof planWithComponents> {
  const files = parsedFiles(new Map([...configurationFiles(3), ...componentFiles({ ...SHAPE, shift })]));
  expect(files.every((file) => file.parsed.ok)).toBe(true);
  const { components, configurations } = records(SHAPE);
  return planWithComponents({
    desired: assembleDesired({ commit: COMMIT, files, locate: () => ({ line: 1, column: 1 }) }),
    recorded: { sessions: new Map(), problems: new Map(), expired: new Map() },
    observed: new Map(),
    now: NOW,
    components,
    configurationRecords: configurations,
    resolved: new Map(),
  });
}

describe("bench component generator", () => {
  it("writes records the planner finds configured: a pass on them changes nothing", () => {
    const out = plan(0);
    expect(out.components.size + out.configurations.size + out.plan.actions.length).toBe(0);
  });

  it("the change commit makes every component pending and starts full batches of 25", () => {
    const out = plan(1);
    expect(out.components.size).toBe(300);
    expect([...out.components.values()].every((c) => c?.configuration_status === "pending")).toBe(true);
    expect(out.plan.actions).toHaveLength(12); // 100 per configuration: 4 batches each
  });
});
