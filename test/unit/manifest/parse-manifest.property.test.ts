import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { MAX_MANIFEST_BYTES, PASSTHROUGH_FLAGS, type SessionManifest } from "../../../src/api/index.js";
import {
  isExtraVarsFlag,
  parseManifest,
  quotePassthroughWord,
  type ParseResult,
} from "../../../src/manifest/index.js";
import { session } from "./fixtures.js";

const CODES = [
  "not-regular-file",
  "too-large",
  "encoding",
  "yaml",
  "not-an-object",
  "schema",
  "name-mismatch",
];
const PATHS = [
  "sessions/s.yaml",
  "configurations/c.yaml",
  "components/x1.yaml",
  "cfs.yaml",
  "other/file.yaml",
];

/** A failure always says why, on one line, at a position inside the file. */
function expectWellFormed(result: ParseResult, text: string): void {
  if (result.ok) return;
  expect(result.errors.length).toBeGreaterThan(0);
  const lines = text.split("\n").length;
  for (const error of result.errors) {
    expect(CODES).toContain(error.code);
    expect(Number.isInteger(error.line) && error.line >= 1 && error.line <= lines).toBe(true);
    expect(Number.isInteger(error.column) && error.column >= 1).toBe(true);
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.message).not.toMatch(/[\r\n]/);
  }
}

const yamlish = fc
  .array(
    fc.constantFrom(
      "apiVersion: cfs-gitops/v1\n",
      "kind: Session\n",
      "name: s\n",
      "configuration:\n",
      "  name: c\n",
      "  ",
      "- ",
      ": ",
      "\n",
      "[",
      "]",
      "{",
      "}",
      ",",
      "&a ",
      "*a",
      "!!str ",
      "!x ",
      "'",
      '"',
      "#",
      "|\n",
      ">-\n",
      "? ",
      "---\n",
      "...\n",
      "%YAML 1.1\n",
      "<<: ",
      "\t",
      "x",
      "7",
      "\u00e9",
      "\uFEFF",
      "\u0000",
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));

describe("parseManifest (properties)", () => {
  it("never throws on arbitrary bytes, and positions every error inside the file", () => {
    fc.assert(
      fc.property(fc.constantFrom(...PATHS), fc.uint8Array({ maxLength: 400 }), (path, bytes) => {
        const result = parseManifest({ path, bytes });
        expectWellFormed(result, new TextDecoder().decode(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on YAML-like text", () => {
    fc.assert(
      fc.property(fc.constantFrom(...PATHS), yamlish, (path, text) => {
        expectWellFormed(parseManifest({ path, bytes: text }), text);
      }),
      { numRuns: 500 },
    );
  });

  it("reports an unknown field at its own line, wherever it is put between top-level fields", () => {
    const lines = session("s", "ansible:", "  verbosity: 1", "tags: { a: b }").trimEnd().split("\n");
    const boundaries = lines.flatMap((line, i) => (line.startsWith(" ") ? [] : [i])).concat(lines.length);
    const field = fc.stringMatching(/^[a-z][a-z_]{0,15}$/).filter((f) => !VALID_SESSION_FIELDS.has(f));
    fc.assert(
      fc.property(field, fc.constantFrom(...boundaries), (name, at) => {
        const text = [...lines.slice(0, at), `${name}: 1`, ...lines.slice(at)].join("\n");
        const result = parseManifest({ path: "sessions/s.yaml", bytes: text });
        expect(result.ok ? [] : result.errors).toEqual([
          expect.objectContaining({
            code: "schema",
            line: at + 1,
            column: 1,
            message: expect.stringContaining(`unknown field "${name}"`) as string,
          }),
        ]);
      }),
    );
  });

  it("reads back any valid session written by a YAML library", () => {
    fc.assert(
      fc.property(sessionArbitrary, (manifest) => {
        const text = stringify(manifest);
        const result = parseManifest({ path: `sessions/${manifest.name}.yaml`, bytes: text });
        expect(result).toEqual({ ok: true, kind: "Session", name: manifest.name, manifest });
      }),
      { numRuns: 200 },
    );
  });
});

const VALID_SESSION_FIELDS = new Set([
  "apiVersion",
  "kind",
  "name",
  "configuration",
  "ansible",
  "target",
  "tags",
  "debug_on_failure",
]);

const sessionName = fc
  .stringMatching(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/)
  .filter((n) => n.length <= 45);
const noSpace = fc.string({ maxLength: 20 }).map((s) => s.replace(/[\s;]/g, "_"));
const uuid = fc.uuid();
const passthrough = fc
  .array(
    fc.constantFrom(...PASSTHROUGH_FLAGS).chain((flag) =>
      (flag === "-f" || flag === "--forks"
        ? fc.integer({ min: 1, max: 99 }).map(String)
        : fc.string({ minLength: 1, maxLength: 10 })
      )
        // An -e @file outside the session's clones is refused on purpose (issue 10).
        .filter((v) => !v.startsWith("-") && !(v.startsWith("@") && isExtraVarsFlag(flag)))
        .map((v) => `${flag} ${quotePassthroughWord(v)}`),
    ),
    { maxLength: 3 },
  )
  .map((parts) => parts.join(" "));
const group = fc.record({
  name: noSpace.filter((s) => s !== ""),
  members: fc.array(
    noSpace.filter((s) => s !== ""),
    { minLength: 1, maxLength: 3 },
  ),
});
const imageGroup = fc.record({
  name: noSpace.filter((s) => s !== ""),
  members: fc.array(uuid, { minLength: 1, maxLength: 3 }),
});

const target = fc.oneof(
  fc.record({ definition: fc.constantFrom("dynamic" as const, "repo" as const) }, { requiredKeys: [] }),
  fc.record({
    definition: fc.constant("spec" as const),
    groups: fc.array(group, { minLength: 1, maxLength: 3 }),
  }),
  fc.record(
    {
      definition: fc.constant("image" as const),
      groups: fc.array(imageGroup, { minLength: 1, maxLength: 2 }),
      image_map: fc.array(
        fc.record({ source_id: uuid, result_name: fc.string({ minLength: 1, maxLength: 20 }) }),
        { maxLength: 2 },
      ),
    },
    { requiredKeys: ["definition", "groups"] },
  ),
);

const sessionArbitrary: fc.Arbitrary<SessionManifest> = fc.record(
  {
    apiVersion: fc.constant("cfs-gitops/v1"),
    kind: fc.constant("Session" as const),
    name: sessionName,
    configuration: fc.record(
      { name: fc.string({ minLength: 1, maxLength: 60 }), limit: fc.string({ maxLength: 20 }) },
      { requiredKeys: ["name"] },
    ),
    ansible: fc.record(
      {
        config: fc.constantFrom("", "cfs-default-ansible-cfg", "site.cfg"),
        limit: noSpace,
        verbosity: fc.integer({ min: 0, max: 4 }),
        passthrough,
      },
      { requiredKeys: [] },
    ),
    target,
    tags: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 4 }),
    debug_on_failure: fc.boolean(),
  },
  { requiredKeys: ["apiVersion", "kind", "name", "configuration"] },
);

describe("parseManifest on large and hostile files", () => {
  /** A guard against super-linear behaviour (seconds of CPU), not a benchmark: the limit is far above the real cost. */
  const within = (cpuMs: number, run: () => ParseResult): ParseResult => {
    const before = process.cpuUsage();
    const result = run();
    const used = process.cpuUsage(before);
    expect((used.user + used.system) / 1000).toBeLessThan(cpuMs);
    return result;
  };

  it("parses a valid manifest of almost MAX_MANIFEST_BYTES", () => {
    const head = session("big", "tags:");
    const entries: string[] = [];
    let size = head.length;
    for (let i = 0; size < MAX_MANIFEST_BYTES - 64; i += 1) {
      const line = `  key${i}: value-${i}\n`;
      entries.push(line);
      size += line.length;
    }
    const text = head + entries.join("");
    expect(text.length).toBeLessThanOrEqual(MAX_MANIFEST_BYTES);
    expect(text.length).toBeGreaterThan(MAX_MANIFEST_BYTES - 100);
    const result = within(10_000, () => parseManifest({ path: "sessions/big.yaml", bytes: text }));
    expect(result.ok).toBe(true);
    if (result.ok && result.kind === "Session")
      expect(Object.keys(result.manifest.tags ?? {})).toHaveLength(entries.length);
  });

  it("refuses a file one byte over the limit without parsing it", () => {
    const text = session("big", `description: "${"x".repeat(MAX_MANIFEST_BYTES)}"`);
    const result = within(1_000, () => parseManifest({ path: "sessions/big.yaml", bytes: text }));
    expect(result).toMatchObject({ ok: false, errors: [{ code: "too-large" }] });
  });

  it.each<[string, number, () => string]>([
    ["1 MiB of opening brackets", 1_000, () => "[".repeat(MAX_MANIFEST_BYTES)],
    ["1 MiB of nested block sequences", 1_000, () => "- ".repeat(MAX_MANIFEST_BYTES / 2)],
    ["1 MiB of document separators", 1_000, () => "---\n".repeat(MAX_MANIFEST_BYTES / 4)],
    ["1 MiB of one unterminated string", 5_000, () => `name: "${"x".repeat(MAX_MANIFEST_BYTES - 10)}`],
    ["1 MiB of the same key", 20_000, () => "a: 1\n".repeat(MAX_MANIFEST_BYTES / 5)],
    ["1 MiB of aliases", 20_000, () => `a: &a x\nb: [${"*a, ".repeat(MAX_MANIFEST_BYTES / 4 - 8)}]\n`],
  ])("turns %s into a yaml error in linear time", (_title, cpuMs, make) => {
    const text = make();
    expect(text.length).toBeLessThanOrEqual(MAX_MANIFEST_BYTES);
    const result = within(cpuMs, () => parseManifest({ path: "sessions/s.yaml", bytes: text }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.code).toBe("yaml");
  });
});
