import { describe, expect, it } from "vitest";
import { MAX_MANIFEST_BYTES } from "../../../src/api/index.js";
import { formatManifestError, parseManifest, schemaValidator } from "../../../src/manifest/index.js";
import { COMMIT, IMAGE_ID, component, configuration, errorsOf, options, session, yaml } from "./fixtures.js";

interface Expected {
  code: string;
  /** A part of the message (the whole message when `exact`). */
  message: string;
  exact?: boolean;
  line?: number;
  column?: number;
}

function expectError(path: string, text: string | Uint8Array, expected: Expected): void {
  const errors = errorsOf(path, text);
  const match = errors.find(
    (e) =>
      e.code === expected.code &&
      (expected.exact === true ? e.message === expected.message : e.message.includes(expected.message)),
  );
  expect(
    match,
    `no ${expected.code} error with "${expected.message}" in ${JSON.stringify(errors, null, 2)}`,
  ).toBeDefined();
  if (expected.line !== undefined) expect(match?.line).toBe(expected.line);
  if (expected.column !== undefined) expect(match?.column).toBe(expected.column);
}

describe("parseManifest: valid manifests", () => {
  it.each<[string, string, string]>([
    ["a minimal session", "sessions/s1.yaml", session("s1")],
    [
      "a session with every field",
      "sessions/full.session.yaml",
      session(
        "full.session",
        "  limit: base,1",
        "ansible:",
        "  config: cfs-default-ansible-cfg",
        "  limit: compute,!x1000c0s0b0n1",
        "  verbosity: 4",
        "  passthrough: \"-e 'a=1 b=2' --tags web,db -f 10\"",
        "target:",
        "  definition: spec",
        "  groups:",
        "    - name: compute",
        "      members: [x1000c0s0b0n0, x1000c0s0b0n1]",
        "tags: { bos_session: abc, owner: ops }",
        "debug_on_failure: true",
      ),
    ],
    ["a session with an empty ansible.config", "sessions/e.yaml", session("e", "ansible:", '  config: ""')],
    ["a dynamic session", "sessions/d.yaml", session("d", "target:", "  definition: dynamic")],
    ["a repo session", "sessions/r.yaml", session("r", "target: { definition: repo }")],
    [
      "an image session",
      "sessions/img.yaml",
      session(
        "img",
        "target:",
        "  definition: image",
        "  groups:",
        "    - name: Application",
        `      members: ["${IMAGE_ID}"]`,
        "  image_map:",
        `    - source_id: ${IMAGE_ID}`,
        "      result_name: img-customized",
      ),
    ],
    ["a session in a .yml file", "sessions/y.yml", session("y")],
    ["a minimal configuration", "configurations/c.yaml", configuration("c")],
    [
      "a configuration with every field",
      "configurations/Full_Config.yaml",
      yaml(
        "apiVersion: cfs-gitops/v1",
        "kind: Configuration",
        "name: Full_Config",
        "description: everything",
        "layers:",
        "  - name: base",
        "    clone_url: https://git.example.org/site/base.git",
        `    commit: ${COMMIT}`,
        "    playbook: site.yml",
        "    special_parameters: { ims_require_dkms: true }",
        "  - clone_url: https://git.example.org/site/app.git",
        "    branch: release/1.2",
        "    playbook: roles/app.yml",
        "additional_inventory:",
        "  name: inventory",
        "  clone_url: https://git.example.org/site/inventory.git",
        "  branch: main",
      ),
    ],
    ["a minimal component", "components/x1000c0s0b0n0.yaml", component("x1000c0s0b0n0")],
    [
      "a component with every field",
      "components/nid000001.yaml",
      component(
        "nid000001",
        'desired_config: ""',
        "enabled: false",
        "retry_policy: 3",
        "tags: { rack: r1 }",
        "groups: [compute, gpu]",
        "role: Compute",
        "sub_role: UAN",
      ),
    ],
    ["minimal options", "cfs.yaml", options()],
    [
      "options with every field",
      "cfs.yaml",
      options(
        "session_ttl: 24h",
        "default_ansible_config: site-ansible-cfg",
        "default_batcher_retry_policy: 0",
        "batch_size: 120",
        "batch_window: 0",
        "batcher_disable: true",
        "debug_wait_time: 0",
        "max_concurrent_sessions: 1",
      ),
    ],
    ["options with session_ttl disabled", "cfs.yaml", options('session_ttl: ""')],
    ["a file starting with a byte order mark", "sessions/bom.yaml", `\uFEFF${session("bom")}`],
    [
      "a file with comments and an explicit document start",
      "sessions/c.yaml",
      `# hello\n---\n${session("c")}`,
    ],
    [
      "a file with an anchor and an alias",
      "sessions/a.yaml",
      session("a", "tags:", "  x: &v one", "  y: *v"),
    ],
  ])("accepts %s", (_title, path, text) => {
    expect(errorsOf(path, text)).toEqual([]);
  });

  it("returns the typed manifest with its kind and name", () => {
    const result = parseManifest({
      path: "sessions/s1.yaml",
      bytes: session("s1", "ansible: { verbosity: 2 }"),
    });
    expect(result).toEqual({
      ok: true,
      kind: "Session",
      name: "s1",
      manifest: {
        apiVersion: "cfs-gitops/v1",
        kind: "Session",
        name: "s1",
        configuration: { name: "base" },
        ansible: { verbosity: 2 },
      },
    });
  });

  it("names a component by its id and the options by the file stem", () => {
    expect(parseManifest({ path: "components/n1.yaml", bytes: component("n1") })).toMatchObject({
      ok: true,
      name: "n1",
    });
    expect(parseManifest({ path: "cfs.yaml", bytes: options() })).toMatchObject({
      ok: true,
      kind: "Options",
      name: "cfs",
    });
  });

  it("takes bytes as well as text, and regular git modes as strings or numbers", () => {
    const bytes = new TextEncoder().encode(session("s1"));
    for (const mode of ["100644", "100755", 0o100644, 0o100755, undefined]) {
      const input =
        mode === undefined ? { path: "sessions/s1.yaml", bytes } : { path: "sessions/s1.yaml", bytes, mode };
      expect(parseManifest(input).ok).toBe(true);
    }
  });

  it("uses the document's kind for a path outside the repository layout", () => {
    expect(parseManifest({ path: "/tmp/s1.yaml", bytes: session("s1") })).toMatchObject({
      ok: true,
      kind: "Session",
    });
    expect(parseManifest({ path: "elsewhere/c.yaml", bytes: configuration("c") })).toMatchObject({
      ok: true,
      kind: "Configuration",
    });
  });

  it("compiles each validator once and reuses it", () => {
    expect(schemaValidator("Session")).toBe(schemaValidator("Session"));
    expect(schemaValidator("Options")).not.toBe(schemaValidator("Session"));
  });
});

describe("parseManifest: files that cannot be read", () => {
  it.each<[string, string | number, string]>([
    ["a symbolic link", "120000", "symbolic link"],
    ["a symbolic link (numeric mode)", 0o120000, "symbolic link"],
    ["a submodule", "160000", "submodule"],
    ["a tree", "040000", "not a regular file (git mode 040000)"],
  ])("rejects %s as not-regular-file", (_title, mode, message) => {
    const result = parseManifest({ path: "sessions/s1.yaml", bytes: session("s1"), mode });
    expect(result).toEqual({
      ok: false,
      kind: "Session",
      name: null,
      errors: [
        { line: 1, column: 1, code: "not-regular-file", message: expect.stringContaining(message) as string },
      ],
    });
  });

  it("rejects a file over MAX_MANIFEST_BYTES unread", () => {
    const text = session("big", "description: x") + "#".repeat(MAX_MANIFEST_BYTES);
    const errors = errorsOf("sessions/big.yaml", text);
    expect(errors).toEqual([
      {
        line: 1,
        column: 1,
        code: "too-large",
        message: expect.stringContaining("1048576 bytes (1 MiB)") as string,
      },
    ]);
  });

  it("counts bytes, not characters, against the limit", () => {
    const text = `${session("big")}# ${"é".repeat(MAX_MANIFEST_BYTES / 2)}\n`;
    expect(errorsOf("sessions/big.yaml", text)[0]?.code).toBe("too-large");
  });

  it("reports a file the reader skipped for its size", () => {
    const result = parseManifest({ path: "cfs.yaml", bytes: null, size: 5_000_000 });
    expect(result).toMatchObject({
      ok: false,
      kind: "Options",
      errors: [{ code: "too-large", line: 1, column: 1 }],
    });
    expect(result.ok ? "" : result.errors[0]?.message).toContain("5000000 bytes");
  });

  it("says `over 1 MiB` for the stand-in of a skipped blob, whose real size it does not know", () => {
    const result = parseManifest({
      path: "sessions/big.yaml",
      bytes: new Uint8Array(MAX_MANIFEST_BYTES + 1),
    });
    const message = result.ok ? "" : (result.errors[0]?.message ?? "");
    expect(message).toContain("the file is over 1 MiB,");
    expect(message).not.toContain(String(MAX_MANIFEST_BYTES + 1));
  });

  it("makes a session file in a folder under sessions/ a problem, never a session", () => {
    for (const path of ["sessions/a/q.yaml", "sessions/y.yaml/z.yaml"]) {
      const result = parseManifest({ path, bytes: session(path.slice(path.lastIndexOf("/") + 1, -5)) });
      expect(result).toMatchObject({ ok: false, errors: [{ code: "misplaced", line: 1, column: 1 }] });
      expect(result.ok ? "" : result.errors[0]?.message).toContain("move this file to sessions/");
    }
  });

  it("reports invalid UTF-8 at the first bad byte, counting columns in characters", () => {
    const encode = (text: string): number[] => [...new TextEncoder().encode(text)];
    const bytes = new Uint8Array([
      ...encode("apiVersion: cfs-gitops/v1\nkind: Sé"),
      0xff,
      ...encode("ssion\n"),
    ]);
    expect(errorsOf("sessions/s.yaml", bytes)).toEqual([
      {
        line: 2,
        column: 9,
        code: "encoding",
        message: "the file is not valid UTF-8 (byte 0xff at offset 35): save it as UTF-8",
      },
    ]);
  });

  it("reports a multi-byte character cut short at its first byte", () => {
    const bytes = new Uint8Array([0x61, 0x3a, 0x20, 0xe2, 0x82]);
    expect(errorsOf("sessions/s.yaml", bytes)).toMatchObject([{ line: 1, column: 4, code: "encoding" }]);
  });
});

describe("parseManifest: YAML problems", () => {
  it.each<[string, string, Expected]>([
    [
      "a syntax error, at the parser's position",
      "apiVersion: cfs-gitops/v1\nkind: [Session\nname: x\n",
      { code: "yaml", message: "invalid YAML: ", line: 3, column: 1 },
    ],
    [
      "a tab used for indentation",
      "configuration:\n\tname: x\n",
      { code: "yaml", message: "invalid YAML: ", line: 2, column: 1 },
    ],
    [
      "a second document",
      `${session("s")}---\n${session("t")}`,
      { code: "yaml", message: "a second YAML document starts here", line: 6, column: 1 },
    ],
    [
      "a second document after an end marker",
      `${session("s")}...\nname: t\n`,
      { code: "yaml", message: "a second YAML document", line: 7, column: 1 },
    ],
    [
      "an empty second document",
      `${session("s")}---\n`,
      { code: "yaml", message: "a second YAML document", line: 6, column: 1 },
    ],
    [
      "a duplicate key, at the repeat",
      session("s", "name: t"),
      { code: "yaml", message: 'duplicate key "name"', line: 6, column: 1 },
    ],
    [
      "a duplicate nested key",
      session("s", "ansible:", "  verbosity: 1", "  verbosity: 2"),
      { code: "yaml", message: 'duplicate key "verbosity"', line: 8, column: 3 },
    ],
    [
      "an unknown tag",
      session("s", "tags: { a: !vault x }"),
      { code: "yaml", message: "Unresolved tag", line: 6 },
    ],
    [
      "an alias to a missing anchor",
      session("s", "tags: { a: *nowhere }"),
      { code: "yaml", message: "invalid YAML", line: 6 },
    ],
  ])("rejects %s", (_title, text, expected) => {
    expectError("sessions/s.yaml", text, expected);
  });

  it("refuses a billion-laughs alias bomb quickly, with a clear message", () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i += 1) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      lines.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    const started = performance.now();
    const errors = errorsOf("sessions/s.yaml", yaml(...lines));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(errors).toEqual([
      {
        line: 2,
        column: 8,
        code: "yaml",
        message: expect.stringContaining(
          'aliases expand to more than 100 nodes (a "billion laughs" alias bomb?)',
        ) as string,
      },
    ]);
  });

  it("refuses more than 100 aliases", () => {
    const text = session("s", "tags:", "  a: &v x", ...Array.from({ length: 101 }, (_, i) => `  k${i}: *v`));
    expectError("sessions/s.yaml", text, {
      code: "yaml",
      message: "more than 100 aliases",
      line: 108,
      column: 9,
    });
  });

  it.each<[string, string]>([
    ["brackets", `tags: ${"[".repeat(101)}`],
    ["braces", `tags: ${"{a: ".repeat(101)}`],
    ["compact block sequences", `tags:\n  ${"- ".repeat(101)}x`],
  ])("refuses nesting deeper than 100 %s", (_title, text) => {
    expectError("sessions/s.yaml", text, { code: "yaml", message: "nested more than 100 levels deep" });
  });

  it.each<[string, string, string, [number, number]]>([
    ["an empty file", "", "the file is empty", [1, 1]],
    ["a file of comments", "# nothing here\n", "the file is empty", [1, 1]],
    ["a null document", "~\n", "the file is empty", [1, 1]],
    ["a list", "# a list\n- apiVersion: cfs-gitops/v1\n", "not a list", [2, 1]],
    ["a string", "just text\n", 'not "just text"', [1, 1]],
    ["a number", "\n\n  42\n", "not 42", [3, 3]],
  ])("rejects %s as not-an-object", (_title, text, message, [line, column]) => {
    expectError("sessions/s.yaml", text, { code: "not-an-object", message, line, column });
  });
});

describe("parseManifest: apiVersion, kind and name", () => {
  it.each<[string, string, string, Expected]>([
    [
      "a wrong apiVersion",
      "sessions/s.yaml",
      session("s").replace("cfs-gitops/v1", "v1"),
      {
        code: "schema",
        message: 'apiVersion must be "cfs-gitops/v1" (got "v1")',
        exact: true,
        line: 1,
        column: 13,
      },
    ],
    [
      "a kind that does not match the folder",
      "sessions/c.yaml",
      configuration("c"),
      {
        code: "schema",
        message: 'kind must be "Session" for files under sessions/ (got "Configuration")',
        exact: true,
        line: 2,
        column: 7,
      },
    ],
    [
      "a session kind in cfs.yaml",
      "cfs.yaml",
      options().replace("Options", "Session"),
      { code: "schema", message: 'kind must be "Options" in cfs.yaml (got "Session")', exact: true },
    ],
    [
      "an unknown kind outside the repository layout",
      "misc/x.yaml",
      yaml("apiVersion: cfs-gitops/v1", "kind: Sesion"),
      {
        code: "schema",
        message: 'kind must be one of Session, Configuration, Component, Options, Source (got "Sesion")',
        line: 2,
        column: 7,
      },
    ],
    [
      "no kind outside the repository layout",
      "misc/x.yaml",
      yaml("apiVersion: cfs-gitops/v1"),
      { code: "schema", message: 'missing required field "kind"', line: 1, column: 1 },
    ],
    [
      "a session name that differs from the file stem",
      "sessions/s1.yaml",
      session("s2"),
      {
        code: "name-mismatch",
        message:
          'name "s2" does not match the file name "s1.yaml": set name: s1, or rename the file to s2.yaml',
        exact: true,
        line: 3,
        column: 7,
      },
    ],
    [
      "a configuration name that differs from the file stem",
      "configurations/a.yml",
      configuration("b"),
      { code: "name-mismatch", message: "rename the file to b.yml", line: 3, column: 7 },
    ],
    [
      "a component id that differs from the file stem",
      "components/x1.yaml",
      component("x2"),
      {
        code: "name-mismatch",
        message: 'id "x2" does not match the file name "x1.yaml": set id: x1',
        line: 3,
        column: 5,
      },
    ],
    [
      "a missing session name",
      "sessions/s1.yaml",
      session("s1").replace("name: s1\n", ""),
      {
        code: "schema",
        message: 'missing required field "name": add name: s1',
        exact: true,
        line: 1,
        column: 1,
      },
    ],
  ])("reports %s", (_title, path, text, expected) => {
    expectError(path, text, expected);
  });

  it("reports the kind and name it could tell when the manifest is invalid", () => {
    const result = parseManifest({
      path: "sessions/s1.yaml",
      bytes: session("s1", "debug_on_failure: maybe"),
    });
    expect(result).toMatchObject({ ok: false, kind: "Session", name: "s1" });
  });
});

describe("parseManifest: Session rules", () => {
  const long = (n: number): string => "a".repeat(n);
  it.each<[string, string, Expected]>([
    [
      "an upper-case name",
      session("Demo_1"),
      {
        code: "schema",
        message: 'name must be a DNS subdomain: lowercase letters, digits, "-" and "."',
        line: 3,
        column: 7,
      },
    ],
    [
      "a name ending with a dash",
      session("demo-"),
      { code: "schema", message: "name must be a DNS subdomain" },
    ],
    [
      "a 46-character name",
      session(long(46)),
      { code: "schema", message: "name must be at most 45 characters long (got 46)" },
    ],
    ["an empty name", session('""'), { code: "schema", message: "name must not be empty" }],
    [
      "a name that is a number",
      session("123e4"),
      { code: "schema", message: "name must be a string (got 1230000): put it in quotes" },
    ],
    [
      "a missing configuration",
      yaml("apiVersion: cfs-gitops/v1", "kind: Session", "name: s"),
      { code: "schema", message: 'missing required field "configuration"' },
    ],
    [
      "a configuration given as a string",
      yaml("apiVersion: cfs-gitops/v1", "kind: Session", "name: s", "configuration: base"),
      { code: "schema", message: 'configuration must be a mapping (got "base")', line: 4, column: 16 },
    ],
    [
      "a configuration without a name",
      yaml("apiVersion: cfs-gitops/v1", "kind: Session", "name: s", "configuration:", "  limit: base"),
      {
        code: "schema",
        message: 'configuration is missing required field "name": add it',
        exact: true,
        line: 5,
        column: 3,
      },
    ],
    [
      "a 61-character configuration name",
      session("s").replace("name: base", `name: ${long(61)}`),
      { code: "schema", message: "configuration.name must be at most 60 characters long (got 61)" },
    ],
    [
      "a numeric configuration.limit",
      session("s", "  limit: 1"),
      { code: "schema", message: "configuration.limit must be a string (got 1)" },
    ],
    [
      "a 61-character ansible.config",
      session("s", "ansible:", `  config: ${long(61)}`),
      { code: "schema", message: "ansible.config must be at most 60 characters long (got 61)" },
    ],
    [
      "an ansible.config that is not a Kubernetes name",
      session("s", "ansible:", "  config: ../../etc/passwd"),
      { code: "schema", message: "ansible.config must be a Kubernetes name" },
    ],
    [
      "whitespace in ansible.limit",
      session("s", "ansible:", '  limit: "a b"'),
      {
        code: "schema",
        message: 'ansible.limit must be free of whitespace and ";" (got "a b")',
        exact: true,
        line: 7,
        column: 10,
      },
    ],
    [
      "a semicolon in ansible.limit",
      session("s", "ansible:", '  limit: "a;reboot"'),
      { code: "schema", message: "ansible.limit must be free of whitespace" },
    ],
    [
      "verbosity above 4",
      session("s", "ansible:", "  verbosity: 7"),
      {
        code: "schema",
        message: "ansible.verbosity must be at most 4 (got 7)",
        exact: true,
        line: 7,
        column: 14,
      },
    ],
    [
      "negative verbosity",
      session("s", "ansible:", "  verbosity: -1"),
      { code: "schema", message: "ansible.verbosity must be at least 0 (got -1)", exact: true },
    ],
    [
      "fractional verbosity",
      session("s", "ansible:", "  verbosity: 1.5"),
      { code: "schema", message: "ansible.verbosity must be a whole number (got 1.5)", exact: true },
    ],
    [
      "a forbidden passthrough flag",
      session("s", "ansible:", "  passthrough: -e x=1 --become"),
      {
        code: "schema",
        message: 'ansible.passthrough: flag "--become" is not allowed (allowed: -e/--extra-vars',
        line: 7,
        column: 16,
      },
    ],
    [
      "a passthrough with an unclosed quote",
      session("s", "ansible:", '  passthrough: "-e \'x"'),
      { code: "schema", message: "ansible.passthrough: the ' at character 4 is never closed", exact: true },
    ],
    [
      "a passthrough with a playbook in it",
      session("s", "ansible:", "  passthrough: other.yml"),
      { code: "schema", message: 'ansible.passthrough: "other.yml" is not a flag' },
    ],
    [
      "a passthrough that would read a file of the controller's host",
      session("s", "ansible:", "  passthrough: -e @/etc/passwd"),
      {
        code: "schema",
        message:
          'ansible.passthrough: flag "-e" reads "@/etc/passwd": an @file must be a relative path inside the session\'s clones, so write "@layer<i>/<file>"',
        line: 7,
        column: 16,
      },
    ],
    [
      "an unknown target definition",
      session("s", "target:", "  definition: static"),
      {
        code: "schema",
        message: 'target.definition must be one of dynamic, spec, repo, image (got "static")',
        exact: true,
      },
    ],
    [
      "groups on a dynamic target",
      session("s", "target:", "  definition: dynamic", "  groups: [{ name: g, members: [a] }]"),
      {
        code: "schema",
        message:
          "'dynamic' target definitions must not contain groups specifications (target.definition is dynamic): remove target.groups, or use definition: spec to target these groups",
        exact: true,
        line: 8,
        column: 3,
      },
    ],
    [
      "groups on a target with the default definition",
      session("s", "target:", "  groups: [{ name: g, members: [a] }]"),
      {
        code: "schema",
        message:
          "'dynamic' target definitions must not contain groups specifications (target.definition is dynamic (the default))",
      },
    ],
    [
      "groups on a repo target",
      session("s", "target:", "  definition: repo", "  groups: [{ name: g, members: [a] }]"),
      { code: "schema", message: "'repo' target definitions must not contain groups specifications" },
    ],
    [
      "a spec target without groups",
      session("s", "target:", "  definition: spec"),
      {
        code: "schema",
        message: "target.groups is required when target.definition is spec: list the groups to target",
        exact: true,
        line: 7,
        column: 3,
      },
    ],
    [
      "an image target without groups",
      session("s", "target:", "  definition: image"),
      { code: "schema", message: "target.groups is required when target.definition is image" },
    ],
    [
      "a spec target with no groups",
      session("s", "target:", "  definition: spec", "  groups: []"),
      { code: "schema", message: "target.groups must list at least one group", exact: true },
    ],
    [
      "a group without members",
      session("s", "target:", "  definition: spec", "  groups:", "    - name: g"),
      {
        code: "schema",
        message: 'target.groups[0] is missing required field "members": add it',
        line: 9,
        column: 7,
      },
    ],
    [
      "a group with no members",
      session("s", "target:", "  definition: spec", "  groups:", "    - name: g", "      members: []"),
      { code: "schema", message: "target.groups[0].members must list at least one member", exact: true },
    ],
    [
      "an image member that is not an image id",
      session(
        "s",
        "target:",
        "  definition: image",
        "  groups:",
        "    - name: g",
        `      members: [${IMAGE_ID}, nid000001]`,
      ),
      {
        code: "schema",
        message:
          'target.groups[0].members[1] must be an image id (a UUID such as 902b4a80-3ac2-40d5-b65e-86ac3e12f209) (got "nid000001")',
        exact: true,
        line: 10,
        column: 55,
      },
    ],
    [
      "an image_map source that is not an image id",
      session(
        "s",
        "target:",
        "  definition: image",
        `  groups: [{ name: g, members: [${IMAGE_ID}] }]`,
        "  image_map: [{ source_id: abc, result_name: r }]",
      ),
      { code: "schema", message: "target.image_map[0].source_id must be an image id", line: 9, column: 28 },
    ],
    [
      "an image_map entry without result_name",
      session(
        "s",
        "target:",
        "  definition: image",
        `  groups: [{ name: g, members: [${IMAGE_ID}] }]`,
        `  image_map: [{ source_id: ${IMAGE_ID} }]`,
      ),
      { code: "schema", message: 'target.image_map[0] is missing required field "result_name"' },
    ],
    [
      "a tag value that is a number",
      session("s", "tags:", "  build: 42"),
      {
        code: "schema",
        message: "tags.build must be a string (got 42): put it in quotes",
        exact: true,
        line: 7,
        column: 10,
      },
    ],
    [
      "a tag name with a space",
      session("s", "tags:", "  build id: [1]"),
      { code: "schema", message: 'tags["build id"] must be a string (got a list)', exact: true },
    ],
    [
      "debug_on_failure as a quoted string",
      session("s", 'debug_on_failure: "true"'),
      {
        code: "schema",
        message: 'debug_on_failure must be true or false (got "true"): write true or false, without quotes',
        exact: true,
      },
    ],
    [
      "debug_on_failure as yes (YAML 1.2 reads it as a string)",
      session("s", "debug_on_failure: yes"),
      { code: "schema", message: 'debug_on_failure must be true or false (got "yes")' },
    ],
    [
      "a misspelt top-level field",
      session("s", "ansibel:", "  verbosity: 1"),
      {
        code: "schema",
        message:
          'unknown field "ansibel": remove it or check the spelling (allowed: ansible, ansible_config, ansible_limit, ansible_passthrough, ansible_verbosity, apiVersion, configuration, configuration_limit, configuration_name, debug_on_failure, kind, logs, name, status, tags, target)',
        exact: true,
        line: 6,
        column: 1,
      },
    ],
    [
      "a misspelt nested field",
      session("s", "ansible:", "  verbsity: 1"),
      {
        code: "schema",
        message:
          'unknown field "verbsity" in ansible: remove it or check the spelling (allowed: config, limit, passthrough, verbosity)',
        exact: true,
        line: 7,
        column: 3,
      },
    ],
    [
      "a __proto__ field",
      session("s", "__proto__: { polluted: true }"),
      { code: "schema", message: 'unknown field "__proto__"', line: 6, column: 1 },
    ],
    [
      "a YAML 1.1 merge key",
      session("s", "<<: { debug_on_failure: true }"),
      { code: "schema", message: 'unknown field "<<"' },
    ],
  ])("rejects %s", (_title, text, expected) => {
    expectError("sessions/s.yaml", text, expected);
  });

  it("reports every problem at once, in file order", () => {
    const text = session(
      "s",
      "ansible:",
      "  verbosity: 9",
      "  limit: a b",
      "target:",
      "  definition: spec",
      "bogus: 1",
    );
    const errors = errorsOf("sessions/s.yaml", text);
    expect(errors.map((e) => `${e.line}:${e.column}`)).toEqual(["7:14", "8:10", "10:3", "11:1"]);
  });
});

describe("parseManifest: Configuration rules", () => {
  const path = "configurations/c.yaml";
  const layer = (...lines: string[]): string[] => lines.map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`));
  it.each<[string, string, Expected]>([
    [
      "a name with whitespace",
      configuration('"c d"'),
      { code: "schema", message: 'name must be free of whitespace (got "c d")' },
    ],
    [
      "a 61-character name",
      configuration("c".repeat(61)),
      { code: "schema", message: "name must be at most 60 characters long (got 61)" },
    ],
    [
      "a short commit",
      configuration("c", ...layer("clone_url: https://x/base.git", "commit: 2f1c0a8", "playbook: site.yml")),
      {
        code: "schema",
        message: 'layers[0].commit must be a full 40-character commit id in lowercase hex (got "2f1c0a8")',
        exact: true,
        line: 6,
        column: 13,
      },
    ],
    [
      "an upper-case commit",
      configuration(
        "c",
        ...layer("clone_url: https://x/base.git", `commit: ${COMMIT.toUpperCase()}`, "playbook: site.yml"),
      ),
      { code: "schema", message: "layers[0].commit must be a full 40-character commit id" },
    ],
    [
      "a layer with neither clone_url nor source, in CFS's words",
      configuration("c", ...layer("branch: main", "playbook: site.yml")),
      {
        code: "schema",
        message:
          "Either source or clone_url must be specified for each layer. Add clone_url: <git URL>, or source: <name of sources/<name>.yaml>",
        exact: true,
        line: 5,
        column: 5,
      },
    ],
    [
      "a layer with both clone_url and source, in CFS's words",
      configuration("c", ...layer("clone_url: https://x/a.git", "source: s", "playbook: site.yml")),
      {
        code: "schema",
        message: "Only source or clone_url should be specified for each layer, not both.",
      },
    ],
    [
      "a clone_url with a space",
      configuration("c", ...layer('clone_url: "https://x/a b.git"', "branch: main", "playbook: site.yml")),
      { code: "schema", message: 'layers[0].clone_url must be free of whitespace and ";"' },
    ],
    [
      "a layer without playbook",
      configuration("c", ...layer("clone_url: https://x/base.git", "branch: main")),
      { code: "schema", message: 'layers[0] is missing required field "playbook": add it' },
    ],
    [
      "a playbook with a semicolon",
      configuration(
        "c",
        ...layer("clone_url: https://x/base.git", "branch: main", '"playbook": "site.yml;rm"'),
      ),
      { code: "schema", message: 'layers[0].playbook must be free of whitespace and ";"' },
    ],
    [
      "an empty playbook",
      configuration("c", ...layer("clone_url: https://x/base.git", "branch: main", 'playbook: ""')),
      { code: "schema", message: "layers[0].playbook must not be empty", exact: true },
    ],
    [
      "an empty branch",
      configuration("c", ...layer("clone_url: https://x/base.git", 'branch: ""', "playbook: site.yml")),
      { code: "schema", message: "layers[0].branch must not be empty", exact: true },
    ],
    [
      "a 46-character layer name",
      configuration(
        "c",
        ...layer(
          `name: ${"n".repeat(46)}`,
          "clone_url: https://x/base.git",
          "branch: main",
          "playbook: site.yml",
        ),
      ),
      { code: "schema", message: "layers[0].name must be at most 45 characters long (got 46)" },
    ],
    [
      "an unknown special parameter",
      configuration(
        "c",
        ...layer(
          "clone_url: https://x/base.git",
          "branch: main",
          "playbook: site.yml",
          "special_parameters: { dkms: true }",
        ),
      ),
      {
        code: "schema",
        message:
          'unknown field "dkms" in layers[0].special_parameters: remove it or check the spelling (allowed: ims_require_dkms)',
      },
    ],
    [
      "a CFS v2 camelCase field",
      configuration("c", ...layer("cloneUrl: https://x/base.git", "branch: main", "playbook: site.yml")),
      { code: "schema", message: 'unknown field "cloneUrl" in layers[0]', line: 5, column: 5 },
    ],
    [
      "additional inventory with neither clone_url nor source",
      configuration("c") + yaml("additional_inventory:", "  branch: main"),
      { code: "schema", message: "Either source or clone_url must be specified for each layer." },
    ],
  ])("rejects %s", (_title, text, expected) => {
    expectError(path, text, expected);
  });

  it("reports each layer's problems with its own position", () => {
    const text = configuration(
      "c",
      ...layer("clone_url: https://x/a.git", "commit: abc", "playbook: a.yml"),
      ...layer("clone_url: https://x/b.git", "branch: main", "playbook: b.yml"),
      ...layer("clone_url: https://x/c.git", "commit: def", "playbook: c.yml"),
    );
    const errors = errorsOf(path, text);
    expect(errors.map((e) => [e.line, e.column, e.message])).toEqual([
      [6, 13, 'layers[0].commit must be a full 40-character commit id in lowercase hex (got "abc")'],
      [12, 13, 'layers[2].commit must be a full 40-character commit id in lowercase hex (got "def")'],
    ]);
  });
});

describe("parseManifest: Component rules", () => {
  const path = "components/x1.yaml";
  it.each<[string, string, Expected]>([
    [
      "an id with a space",
      component('"x 1"'),
      { code: "schema", message: 'id must be free of whitespace and ";"' },
    ],
    ["an empty id", component('""'), { code: "schema", message: "id must not be empty" }],
    [
      "a 61-character desired_config",
      component("x1", `desired_config: ${"c".repeat(61)}`),
      { code: "schema", message: "desired_config must be at most 60 characters long (got 61)" },
    ],
    [
      "enabled as a string",
      component("x1", 'enabled: "false"'),
      { code: "schema", message: 'enabled must be true or false (got "false")' },
    ],
    [
      "a retry_policy below -1 (-1 means no limit, as CFS)",
      component("x1", "retry_policy: -2"),
      { code: "schema", message: "retry_policy must be at least -1 (got -2)", line: 4, column: 15 },
    ],
    [
      "a fractional retry_policy",
      component("x1", "retry_policy: 0.5"),
      { code: "schema", message: "retry_policy must be a whole number (got 0.5)" },
    ],
    [
      "groups as a string",
      component("x1", "groups: compute"),
      { code: "schema", message: 'groups must be a list (got "compute")' },
    ],
    [
      "a group listed twice",
      component("x1", "groups: [compute, gpu, compute]"),
      { code: "schema", message: 'groups lists "compute" twice: remove one', line: 4, column: 24 },
    ],
    [
      "an empty group name",
      component("x1", 'groups: [""]'),
      { code: "schema", message: "groups[0] must not be empty" },
    ],
    ["an empty role", component("x1", 'role: ""'), { code: "schema", message: "role must not be empty" }],
    [
      "a sub_role with a space",
      component("x1", 'sub_role: "a b"'),
      { code: "schema", message: "sub_role must be free of whitespace" },
    ],
    [
      "a tag that is not a string",
      component("x1", "tags: { rack: 1 }"),
      { code: "schema", message: "tags.rack must be a string (got 1)" },
    ],
    [
      "a CFS field that a manifest does not carry",
      component("x1", "error_count: 2"),
      {
        code: "schema",
        message:
          'unknown field "error_count": remove it or check the spelling (allowed: apiVersion, desired_config, enabled, groups, id, kind, reconfigure, retry_policy, role, sub_role, tags)',
        exact: true,
      },
    ],
  ])("rejects %s", (_title, text, expected) => {
    expectError(path, text, expected);
  });
});

describe("parseManifest: Options rules", () => {
  it.each<[string, string, Expected]>([
    [
      "a session_ttl in words",
      options("session_ttl: 7 days"),
      {
        code: "schema",
        message:
          'session_ttl must be a duration such as 30m, 24h, 7d or 2w (or "" to disable) (got "7 days")',
        exact: true,
        line: 3,
        column: 14,
      },
    ],
    [
      "a session_ttl with two units",
      options("session_ttl: 1d2h"),
      { code: "schema", message: "session_ttl must be a duration" },
    ],
    [
      "a session_ttl over 10 characters",
      options("session_ttl: 12345678901m"),
      { code: "schema", message: "session_ttl must be at most 10 characters long (got 12)" },
    ],
    [
      "a numeric session_ttl",
      options("session_ttl: 7"),
      { code: "schema", message: "session_ttl must be a string (got 7): put it in quotes" },
    ],
    [
      "max_concurrent_sessions 0",
      options("max_concurrent_sessions: 0"),
      { code: "schema", message: "max_concurrent_sessions must be at least 1 (got 0)", exact: true },
    ],
    [
      "batch_size 0",
      options("batch_size: 0"),
      { code: "schema", message: "batch_size must be at least 1 (got 0)" },
    ],
    [
      "a negative batch_window",
      options("batch_window: -5"),
      { code: "schema", message: "batch_window must be at least 0 (got -5)" },
    ],
    [
      "a negative debug_wait_time",
      options("debug_wait_time: -1"),
      { code: "schema", message: "debug_wait_time must be at least 0" },
    ],
    [
      "a negative default_batcher_retry_policy",
      options("default_batcher_retry_policy: -1"),
      { code: "schema", message: "default_batcher_retry_policy must be at least 0" },
    ],
    [
      "batcher_disable as no",
      options("batcher_disable: no"),
      { code: "schema", message: 'batcher_disable must be true or false (got "no")' },
    ],
    [
      "a 61-character default_ansible_config",
      options(`default_ansible_config: ${"c".repeat(61)}`),
      { code: "schema", message: "default_ansible_config must be at most 60 characters long (got 61)" },
    ],
    [
      "a CFS option this controller does not use",
      options("hardware_sync_interval: 5"),
      {
        code: "schema",
        message:
          "hardware_sync_interval is not supported here: CFS syncs components from HSM; in cfs-gitops components are files (components/<id>.yaml), so there is nothing to sync.",
        exact: true,
        line: 3,
        column: 1,
      },
    ],
  ])("rejects %s", (_title, text, expected) => {
    expectError("cfs.yaml", text, expected);
  });
});

describe("formatManifestError", () => {
  it("prints path:line:col: message", () => {
    expect(
      formatManifestError("sessions/x.yaml", {
        line: 3,
        column: 14,
        code: "schema",
        message: "ansible.verbosity must be at most 4 (got 7)",
      }),
    ).toBe("sessions/x.yaml:3:14: ansible.verbosity must be at most 4 (got 7)");
  });
});

describe("parseManifest with a mapping used as a key", () => {
  it("reports it as an unknown field on one line (fast-check counterexample)", () => {
    const result = parseManifest({ path: "sessions/s.yaml", bytes: "? configuration:\n#" });
    expect(result.ok).toBe(false);
    const unknown = result.ok ? undefined : result.errors.find((e) => e.message.startsWith("unknown field"));
    expect(unknown?.message).toMatch(/^unknown field "\{\\n {2}configuration: #\\n\}": remove it/);
    for (const error of result.ok ? [] : result.errors) expect(error.message).not.toMatch(/[\r\n]/);
  });
});
