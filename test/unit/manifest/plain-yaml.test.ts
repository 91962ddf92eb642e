import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readPlainYaml } from "../../../src/manifest/plain-yaml.js";
import { readYaml } from "../../../src/manifest/read-yaml.js";

/** Scalars as they may be written: plain, and the ones YAML reads as something else. */
const SCALARS = [
  "x",
  "bench-s1",
  "a b",
  "a  b",
  "é😀",
  "null",
  "Null",
  "NULL",
  "~",
  "true",
  "True",
  "FALSE",
  "tRue",
  "yes",
  "0",
  "-0",
  "012",
  "+1",
  "1_000",
  "0x1F",
  "0o17",
  "0b11",
  "1e3",
  "1.",
  "1e",
  ".5",
  "-.5",
  ".inf",
  "-.INF",
  ".NaN",
  "-5a",
  "-",
  "a: b",
  "a:b",
  "key:",
  "a #b",
  "a#b",
  "#x",
  "&a",
  "*a",
  "!t",
  "!!str x",
  "|",
  ">",
  "'q'",
  "'it''s'",
  "'open",
  '"q"',
  '"a\\tb"',
  '"open',
  "[x]",
  "[a, b]",
  "[ ]",
  "[]",
  "[a,,b]",
  "[a, [b]]",
  "[a: b]",
  "{}",
  "{a: b}",
  "@x",
  "`x",
  "%x",
  "? x",
  "a,b",
  "<<",
  "=",
  "--- x",
  "...",
  "x # comment",
  "a :b",
  "a ,b",
  "\u00a0x",
  "x\u00a0",
  "x\u2003y",
  "'q' # comment",
];

const KEYS = [
  "a",
  "b",
  "name",
  "api_version",
  "x-y",
  "null",
  "true",
  "1a",
  "a b",
  "a:b",
  "__proto__",
  "-a",
  '"q"',
];

/** Scalars and keys the fast reader takes: most of a generated document, so it is read at all. */
const COMMON_SCALARS = [
  "x",
  "bench-s1",
  "a b",
  "null",
  "true",
  "0",
  "012",
  "1e3",
  "-.5",
  "'q'",
  '"q"',
  "[a, 1]",
  "{}",
  "a#b",
  "x # c",
];
const COMMON_KEYS = ["a", "b", "name", "api_version", "x-y"];

const scalar = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...COMMON_SCALARS) },
  fc.constantFrom(...SCALARS),
);
const key = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...COMMON_KEYS) }, fc.constantFrom(...KEYS));

type Tree = string | Tree[] | Array<[string, Tree]>;

const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("node"), { maxLength: 3 }),
    fc.array(fc.tuple(key, tie("node")), { maxLength: 4 }),
  ),
})).node;

const style = fc.record({
  step: fc.integer({ min: 1, max: 4 }),
  sameIndentSequence: fc.boolean(),
  comments: fc.boolean(),
  blankLines: fc.boolean(),
  documentStart: fc.boolean(),
  trailingSpaces: fc.boolean(),
});

/** A document: a mapping at the top, as a manifest is. */
const documentTree: fc.Arbitrary<Tree> = fc.array(fc.tuple(key, tree), {
  minLength: 1,
  maxLength: 5,
});

type Style = typeof style extends fc.Arbitrary<infer S> ? S : never;

function isPairs(node: Tree): node is Array<[string, Tree]> {
  return (
    Array.isArray(node) &&
    node.length > 0 &&
    node.every((n) => Array.isArray(n) && n.length === 2 && typeof n[0] === "string" && KEYS.includes(n[0]))
  );
}

/** YAML text of a tree, in the block style a person writes (with the given quirks). */
function render(node: Tree, s: Style): string {
  const out: string[] = [];
  const line = (text: string): void => {
    out.push(text + (s.trailingSpaces ? "  " : ""));
    if (s.blankLines) out.push("");
  };
  const write = (value: Tree, indent: number, lead: string): void => {
    const pad = " ".repeat(indent);
    if (typeof value === "string") {
      line(`${pad}${lead}${value}`);
    } else if (isPairs(value)) {
      value.forEach(([key, child], i) => {
        const prefix = i === 0 ? `${pad}${lead}` : " ".repeat(indent + lead.length);
        if (typeof child === "string") line(`${prefix}${key}: ${child}`);
        else if (child.length === 0) line(`${prefix}${key}: ${isPairs(child) ? "{}" : "[]"}`);
        else {
          line(`${prefix}${key}:${s.comments ? " # c" : ""}`);
          const inner = indent + lead.length + (s.sameIndentSequence && !isPairs(child) ? 0 : s.step);
          write(child, inner, "");
        }
      });
    } else if (value.length === 0) {
      line(`${pad}${lead}[]`);
    } else {
      value.forEach((child, i) => {
        const prefix = i === 0 ? `${pad}${lead}` : " ".repeat(indent + lead.length);
        if (typeof child === "string" || isPairs(child)) write(child, 0, `${prefix}- `);
        else {
          line(`${prefix}-`);
          write(child, indent + lead.length + s.step, "");
        }
      });
    }
  };
  if (s.documentStart) out.push("---");
  if (s.comments) out.push("# a manifest");
  write(node, 0, "");
  return `${out.join("\n")}\n`;
}

/** What readYaml reads, for comparing: the value, or the first problem. */
function slow(text: string): unknown {
  const read = readYaml(text);
  return read.ok ? read.value : { problems: read.problems.map((p) => p.message) };
}

/** The property: whatever the fast reader reads, readYaml reads the same, with no error. */
function agrees(text: string): boolean {
  const fast = readPlainYaml(text);
  if (fast === null) return false;
  expect(fast.value, text).toEqual(slow(text));
  return true;
}

describe("readPlainYaml", () => {
  it("reads the values readYaml reads, for block YAML written every way the generator knows", () => {
    let read = 0;
    fc.assert(
      fc.property(documentTree, style, (node, s) => {
        if (agrees(render(node, s))) read += 1;
      }),
      { numRuns: 3000 },
    );
    // The property says something only if the fast reader takes a good share of the documents.
    expect(read).toBeGreaterThan(300);
  });

  it("reads the same as readYaml, or leaves the text to it, after any edit of a few characters", () => {
    let read = 0;
    const edit = fc.record({
      at: fc.nat(),
      remove: fc.integer({ min: 0, max: 3 }),
      insert: fc.constantFrom(
        "",
        " ",
        "\n",
        "\n  ",
        "-",
        "- ",
        ":",
        ": ",
        "#",
        " #",
        "'",
        '"',
        "[",
        "]",
        "{",
        "}",
        ",",
        "\t",
        "&",
        "*",
        "!",
        "|",
        ">",
        "a",
        "1",
        "---",
        "\\",
      ),
    });
    fc.assert(
      fc.property(documentTree, style, fc.array(edit, { minLength: 1, maxLength: 3 }), (node, s, edits) => {
        let text = render(node, s);
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.insert + text.slice(at + e.remove);
        }
        if (agrees(text)) read += 1;
      }),
      { numRuns: 10_000 },
    );
    expect(read).toBeGreaterThan(150);
  });

  it("reads a manifest as a person writes it, without handing it to readYaml", () => {
    const text = [
      "---",
      "# a session",
      "apiVersion: cfs-gitops/v1",
      "kind: Session",
      "name: nightly-01",
      "configuration:",
      "  name: compute-base   # the configuration",
      "  limit: ''",
      "target:",
      "  definition: image",
      "  groups:",
      "  - name: Compute",
      "    members: [ab0c1aa2-4467-44f8-ac76-8cfd615c8ebd, 7]",
      "tags:",
      '  bench: "true"',
      "  note: it's fine",
      "ansible:",
      "  verbosity: 2",
      "  passthrough:",
      "debug_on_failure: false",
      "",
    ].join("\n");
    const fast = readPlainYaml(text);
    expect(fast).not.toBeNull();
    expect(fast?.value).toEqual(slow(text));
    expect(fast?.value).toMatchObject({
      configuration: { name: "compute-base", limit: "" },
      target: { groups: [{ name: "Compute", members: ["ab0c1aa2-4467-44f8-ac76-8cfd615c8ebd", 7] }] },
      tags: { bench: "true", note: "it's fine" },
      ansible: { verbosity: 2, passthrough: null },
      debug_on_failure: false,
    });
  });

  it.each([
    ["an anchor", "a: &x 1\nb: *x\n"],
    ["a tag", "a: !!str 1\n"],
    ["a block scalar", "a: |\n  text\n"],
    ["a scalar over two lines", "a: one\n  two\n"],
    ["an escape", 'a: "x\\ty"\n'],
    ["a flow mapping", "a: {b: 1}\n"],
    ["a duplicate key", "a: 1\na: 2\n"],
    ["a second document", "a: 1\n---\nb: 2\n"],
    ["a tab", "a:\tb\n"],
    ["a top-level sequence", "- a\n"],
    ["a key the core schema reads as a boolean", "true: 1\n"],
  ])("leaves %s to readYaml", (_what, text) => {
    expect(readPlainYaml(text)).toBeNull();
  });
});
