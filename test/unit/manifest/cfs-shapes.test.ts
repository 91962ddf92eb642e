/**
 * The shapes CFS accepts (and `describe` prints) mean in a manifest what they mean in CFS: each is
 * accepted and read as the plain manifest it stands for; what CFS refuses is refused with CFS's words.
 */
import { describe, expect, it } from "vitest";
import { REFUSED_CFS_OPTIONS } from "../../../src/api/index.js";
import { MANIFEST_SCHEMAS, parseManifest, type ParseResult } from "../../../src/manifest/index.js";
import { canonicalImageId } from "../../../src/manifest/normalize-manifest.js";
import { COMMIT, IMAGE_ID, configuration, errorsOf, options, session, yaml } from "./fixtures.js";

function manifestOf(path: string, text: string): Record<string, unknown> {
  const result: ParseResult = parseManifest({ path, bytes: text });
  if (!result.ok) throw new Error(`not accepted: ${JSON.stringify(result.errors)}`);
  return result.manifest as unknown as Record<string, unknown>;
}

const HYPHENLESS = IMAGE_ID.replace(/-/g, "").toUpperCase();

describe("parseManifest: what `cray cfs v3 sessions create` sends and `describe` prints", () => {
  it.each<[string, string[], Record<string, unknown>]>([
    [
      "groups: [] and image_map: [] on a dynamic target",
      ["target:", "  definition: dynamic", "  groups: []", "  image_map: []"],
      { target: { definition: "dynamic" } },
    ],
    [
      "groups: null on a repo target",
      ["target:", "  definition: repo", "  groups: null", "  image_map: null"],
      { target: { definition: "repo" } },
    ],
    ["groups: [] with the default definition", ["target:", "  groups: []"], { target: {} }],
    [
      "ansible.limit: null and passthrough: null",
      [
        "ansible:",
        "  config: cfs-default-ansible-cfg",
        "  limit: null",
        "  passthrough: null",
        "  verbosity: 4",
      ],
      { ansible: { config: "cfs-default-ansible-cfg", verbosity: 4 } },
    ],
    ['ansible.passthrough: ""', ["ansible:", '  passthrough: ""'], { ansible: { passthrough: "" } }],
    [
      "image_map on a spec target (CFS ignores it)",
      [
        "target:",
        "  definition: spec",
        "  groups: [{ name: g, members: [nid000001] }]",
        `  image_map: [{ source_id: ${IMAGE_ID}, result_name: r }]`,
      ],
      { target: { definition: "spec", groups: [{ name: "g", members: ["nid000001"] }] } },
    ],
    [
      "image members and image_map sources without hyphens",
      [
        "target:",
        "  definition: image",
        `  groups: [{ name: Application, members: [${HYPHENLESS}] }]`,
        `  image_map: [{ source_id: ${HYPHENLESS}, result_name: r }]`,
      ],
      {
        target: {
          definition: "image",
          groups: [{ name: "Application", members: [IMAGE_ID] }],
          image_map: [{ source_id: IMAGE_ID, result_name: "r" }],
        },
      },
    ],
    [
      "the read-only status and logs of describe",
      [
        "logs: ara.cmn.site/hosts?label=s",
        "status:",
        "  artifacts: []",
        "  session: { completion_time: null, job: cfs-1, start_time: '2023-09-06T15:34:26', status: complete, succeeded: 'false' }",
      ],
      {},
    ],
  ])("accepts %s, read as the plain manifest", (_title, lines, expected) => {
    const manifest = manifestOf("sessions/s.yaml", session("s", ...lines));
    expect(manifest).toEqual({
      apiVersion: "cfs-gitops/v1",
      kind: "Session",
      name: "s",
      configuration: { name: "base" },
      ...expected,
    });
  });

  it("accepts a session without apiVersion and kind under sessions/, and fills them in", () => {
    const manifest = manifestOf("sessions/s.yaml", yaml("name: s", "configuration: { name: base }"));
    expect(manifest).toEqual({
      apiVersion: "cfs-gitops/v1",
      kind: "Session",
      name: "s",
      configuration: { name: "base" },
    });
  });

  it("reads a create request's flat fields as the nested form", () => {
    const text = yaml(
      "name: s",
      "configuration_name: base",
      "configuration_limit: '0,2'",
      "ansible_limit: x1",
      "ansible_verbosity: 2",
      "ansible_passthrough: --extra a=1",
      "ansible_config: ''",
    );
    expect(manifestOf("sessions/s.yaml", text)).toEqual({
      apiVersion: "cfs-gitops/v1",
      kind: "Session",
      name: "s",
      configuration: { name: "base", limit: "0,2" },
      ansible: { limit: "x1", verbosity: 2, passthrough: "--extra a=1", config: "" },
    });
  });

  it.each<[string, string, string]>([
    ["neither spelling of the configuration", yaml("name: s"), 'missing required field "configuration"'],
    [
      "both spellings of one setting",
      yaml("name: s", "configuration: { name: base }", "configuration_name: base"),
      "configuration_name and configuration.name both set the same thing: keep one",
    ],
    [
      "a bad flat value",
      yaml("name: s", "configuration_name: base", "ansible_verbosity: 7"),
      "ansible_verbosity must be at most 4",
    ],
  ])("refuses %s", (_title, text, message) => {
    expect(
      errorsOf("sessions/s.yaml", text)
        .map((e) => e.message)
        .join("\n"),
    ).toContain(message);
  });

  it("still needs the kind for a file outside the repository layout", () => {
    expect(errorsOf("misc/s.yaml", yaml("name: s", "configuration: { name: base }"))[0]?.message).toContain(
      'missing required field "kind"',
    );
  });

  it.each<[string, string[], string]>([
    [
      "groups on a dynamic target",
      ["target:", "  definition: dynamic", "  groups: [{ name: g, members: [a] }]"],
      "'dynamic' target definitions must not contain groups specifications",
    ],
    [
      "a blank image id",
      ["target:", "  definition: image", "  groups: [{ name: g, members: [abc] }]"],
      "must be an image id",
    ],
    [
      "a spec target with groups: null",
      ["target:", "  definition: spec", "  groups: null"],
      "target.groups must be a list",
    ],
  ])("still refuses %s, as CFS does", (_title, lines, message) => {
    const errors = errorsOf("sessions/s.yaml", session("s", ...lines));
    expect(errors.map((e) => e.message).join("\n")).toContain(message);
  });
});

describe("parseManifest: what `cray cfs v3 configurations describe` prints", () => {
  const layer = (...lines: string[]): string[] => lines.map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`));

  it("accepts a layer with both branch and commit, tenant_name and last_updated, keeping all but last_updated", () => {
    const text =
      configuration(
        "c",
        ...layer(
          "name: base",
          "clone_url: https://x/base.git",
          "branch: main",
          `commit: ${COMMIT}`,
          "playbook: site.yml",
        ),
      ) + yaml("tenant_name: blue", "last_updated: '2023-09-06T15:34:26Z'", "description: d");
    expect(manifestOf("configurations/c.yaml", text)).toEqual({
      apiVersion: "cfs-gitops/v1",
      kind: "Configuration",
      name: "c",
      description: "d",
      tenant_name: "blue",
      layers: [
        {
          name: "base",
          clone_url: "https://x/base.git",
          branch: "main",
          commit: COMMIT,
          playbook: "site.yml",
        },
      ],
    });
  });

  it.each<[string, string]>([
    ["layers: []", yaml("name: c", "layers: []")],
    ["no layers at all", yaml("name: c")],
  ])("accepts %s as a configuration with no layers", (_title, text) => {
    expect(manifestOf("configurations/c.yaml", text)).toMatchObject({ kind: "Configuration", layers: [] });
  });

  it("accepts a layer and an additional inventory with neither commit nor branch (the default branch)", () => {
    const text =
      configuration("c", ...layer("clone_url: https://x/base.git", "playbook: site.yml")) +
      yaml("additional_inventory: { clone_url: https://x/inv.git }");
    expect(errorsOf("configurations/c.yaml", text)).toEqual([]);
  });

  it("refuses two layers with the same repository and playbook, in CFS's words, at the second one", () => {
    const text = configuration(
      "c",
      ...layer("clone_url: https://x/base.git", "branch: main", "playbook: site.yml"),
      ...layer("clone_url: https://x/app.git", "branch: main", "playbook: site.yml"),
      ...layer("clone_url: https://x/base.git", `commit: ${COMMIT}`, "playbook: site.yml"),
    );
    expect(errorsOf("configurations/c.yaml", text)).toEqual([
      {
        line: 13,
        column: 15,
        code: "duplicate-layer",
        message:
          "layers[2] applies the same playbook from the same repository as layers[0] (Two or more layers apply the same playbook from the same repo, but have different commit ids. CFS refuses this): remove one of them, or use a different playbook",
      },
    ]);
  });
});

describe("canonicalImageId", () => {
  it("hyphenates 32 hex digits in lower case and leaves anything else alone", () => {
    expect(canonicalImageId(HYPHENLESS)).toBe(IMAGE_ID);
    expect(canonicalImageId(IMAGE_ID.toUpperCase())).toBe(IMAGE_ID.toUpperCase());
    expect(canonicalImageId("nid000001")).toBe("nid000001");
  });
});

describe("parseManifest: the 17 CFS options in cfs.yaml", () => {
  // V3Options of cfs-openapi.yaml, with a valid CFS value each.
  const CFS_OPTIONS: Record<string, string> = {
    hardware_sync_interval: "5",
    batcher_check_interval: "10",
    batch_size: "25",
    batch_window: "60",
    default_batcher_retry_policy: "3",
    default_playbook: "site.yml",
    default_ansible_config: "cfs-default-ansible-cfg",
    session_ttl: "7d",
    additional_inventory_url: "https://api-gw-service-nmn.local/vcs/cray/inventory.git",
    additional_inventory_source: "example-source",
    batcher_max_backoff: "3600",
    batcher_disable: "false",
    batcher_pending_timeout: "300",
    logging_level: "INFO",
    default_page_size: "1000",
    debug_wait_time: "3600",
    include_ara_links: "true",
  };
  const refused = new Set<string>(REFUSED_CFS_OPTIONS);

  it("knows all 17", () => {
    expect(Object.keys(CFS_OPTIONS)).toHaveLength(17);
    const schemaKeys = Object.keys(MANIFEST_SCHEMAS.Options.properties as Record<string, unknown>);
    expect(Object.keys(CFS_OPTIONS).filter((option) => !schemaKeys.includes(option))).toEqual([]);
  });

  it.each(Object.entries(CFS_OPTIONS))("takes %s or refuses it saying why", (option, value) => {
    const errors = errorsOf("cfs.yaml", options(`${option}: ${value}`));
    if (refused.has(option)) {
      expect(errors).toHaveLength(1);
      expect(errors[0]?.message).toMatch(new RegExp(`^${option} is not supported here: .{20,}`));
    } else {
      expect(errors).toEqual([]);
    }
  });
});
