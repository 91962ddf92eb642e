/**
 * A fast reader for the plain YAML most manifests are: block mappings and sequences of one-line
 * scalars, quoted or not, and one-line flow sequences of plain scalars. It gives the value only,
 * never an error: anything outside that subset (anchors, tags, block scalars, multi-line or
 * escaped scalars, flow mappings, odd indentation, duplicate keys...) answers null, and the file is
 * read by readYaml, which gives positions and every error. Plain scalars are resolved by the yaml
 * library's own core schema tags, so a value read here is the value readYaml gives (a differential
 * property test holds the two together).
 *
 * Why: readYaml (the library's parser and composer, with positions) is ~75% of parsing a manifest;
 * a first start of 100,000 sessions parses 121,000 of them.
 */
import type { ScalarTag, Schema } from "yaml";
import { yaml } from "./yaml-library.js";

/**
 * Characters that send a file to readYaml: tabs, carriage returns, backslashes (escapes), control
 * characters, the characters YAML 1.1 took for line breaks or a byte order mark, and every other
 * space JavaScript trims (YAML indents and separates with the space alone).
 */
const OUTSIDE =
  // eslint-disable-next-line no-control-regex
  /[\x00-\x09\x0b-\x1f\x7f\\\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;

/** Deepest nesting read here (deeper files go to readYaml, which has its own limit). */
const MAX_DEPTH = 64;

/** The value of `text`, or null when the text is not in the subset read here. */
export function readPlainYaml(text: string): { value: Record<string, unknown> } | null {
  if (OUTSIDE.test(text)) return null;
  const lines = contentLines(text);
  if (lines === null || lines.length === 0 || lines[0]?.indent !== 0) return null;
  const reader = new BlockReader(lines);
  try {
    const value = reader.block(0, 0);
    if (reader.at !== lines.length || !isMapping(value)) return null;
    return { value };
  } catch (error) {
    if (error instanceof NotPlain) return null;
    throw error;
  }
}

interface Line {
  indent: number;
  text: string;
}

/** Thrown inside the reader when the text leaves the subset; caught in readPlainYaml. */
class NotPlain extends Error {}

function notPlain(): never {
  throw new NotPlain();
}

/**
 * The lines that hold content, without comment lines and blank lines. Null for directives, a
 * document end, or a document start anywhere but at the top.
 */
function contentLines(text: string): Line[] | null {
  const out: Line[] = [];
  let lastIndent = 0;
  let started = false;
  for (const raw of text.split("\n")) {
    const text = raw.trimStart();
    const indent = raw.length - text.length;
    const kind = lineKind(text, indent, lastIndent);
    if (kind === null || (kind === "start" && (started || out.length > 0))) return null;
    if (kind === "start") started = true;
    if (kind !== "content") continue;
    out.push({ indent, text: text.trimEnd() });
    lastIndent = indent;
  }
  return out;
}

/**
 * A line (without its indentation) as content, a line to skip (blank or a comment), a document
 * start, or null: a directive, a document end, a marker this reader does not take, or a comment
 * deeper than the content before it (it might sit inside a scalar).
 */
function lineKind(text: string, indent: number, lastIndent: number): "content" | "skip" | "start" | null {
  if (text === "") return "skip";
  if (text.startsWith("#")) return indent > lastIndent ? null : "skip";
  if (text.startsWith("%") || text.startsWith("...")) return null;
  if (!text.startsWith("---")) return "content";
  return indent === 0 && /^---(?: +#.*)? *$/.test(text) ? "start" : null;
}

const KEY = /^([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*))?$/;

/** The yaml library's core schema, made once (only its tags are read here). */
let coreSchema: Schema | null = null;

class BlockReader {
  at = 0;
  private readonly schema: Schema = (coreSchema ??= new (yaml().Schema)({ schema: "core" }));

  constructor(private readonly lines: Line[]) {}

  /** The block (mapping or sequence) whose lines start at `indent`. */
  block(indent: number, depth: number): unknown {
    if (depth > MAX_DEPTH) notPlain();
    const line = this.lines[this.at];
    if (!line || line.indent !== indent) notPlain();
    return isItem(line.text) ? this.sequence(indent, depth) : this.mapping(indent, depth);
  }

  private mapping(indent: number, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (let line = this.lines[this.at]; line?.indent === indent; line = this.lines[this.at]) {
      if (isItem(line.text)) notPlain();
      const match = KEY.exec(line.text) ?? notPlain();
      const key = match[1] ?? notPlain();
      if (Object.hasOwn(out, key) || key === "__proto__" || this.resolvesToOther(key)) notPlain();
      this.at += 1;
      out[key] = this.valueAfter(match[2] ?? "", indent, depth, true);
    }
    return out;
  }

  private sequence(indent: number, depth: number): unknown[] {
    const out: unknown[] = [];
    for (let line = this.lines[this.at]; line?.indent === indent; line = this.lines[this.at]) {
      if (!isItem(line.text)) break; // the next key of the mapping this sequence is the value of
      const rest = line.text.slice(1).trimStart();
      if (rest.startsWith("-") || rest.startsWith("?")) notPlain();
      if (KEY.test(rest)) {
        // "- key: value": a mapping whose keys sit where this key does.
        const column = indent + line.text.length - rest.length;
        this.lines[this.at] = { indent: column, text: rest };
        out.push(this.mapping(column, depth + 1));
      } else {
        this.at += 1;
        out.push(this.valueAfter(rest, indent, depth, false));
      }
    }
    return out;
  }

  /**
   * The value after "key:" or "-": inline on its line, or the block on the lines below. A mapping's
   * value may also be a sequence at the mapping's own indentation ("key:" then "- a").
   */
  private valueAfter(rest: string, indent: number, depth: number, inMapping: boolean): unknown {
    const next = this.lines[this.at];
    if (rest === "" || rest.startsWith("#")) {
      if (next && next.indent > indent) return this.block(next.indent, depth + 1);
      if (inMapping && next?.indent === indent && isItem(next.text)) return this.sequence(indent, depth + 1);
      return null;
    }
    if (next && next.indent > indent) notPlain(); // a scalar that goes on, or a bad indent
    return this.inline(rest);
  }

  /** A value written on one line: quoted, a flow sequence, `{}`, or a plain scalar. */
  private inline(text: string): unknown {
    const first = text[0];
    if (first === '"') return doubleQuoted(text);
    if (first === "'") return singleQuoted(text);
    if (first === "[") return this.flowSequence(text);
    if (first === "{") return /^\{ *\}(?: +#.*)?$/.test(text) ? {} : notPlain();
    return this.plain(withoutComment(text), false);
  }

  private flowSequence(text: string): unknown[] {
    const match = /^\[([^\][{}#"':]*)\](?: +#.*)?$/.exec(text) ?? notPlain();
    const inner = (match[1] ?? "").trim();
    if (inner === "") return [];
    return inner.split(",").map((item) => this.plain(item.trim(), true));
  }

  /** A plain scalar resolved as the yaml library resolves it (core schema). */
  private plain(text: string, inFlow: boolean): unknown {
    if (!isPlainText(text, inFlow)) notPlain();
    // The core schema's scalar tags (null, bool, int, float) are the ones with a test.
    const tag = this.schema.tags.find((t) => t.default === true && t.test?.test(text) === true) as
      ScalarTag | undefined;
    if (!tag) return text;
    let failed = false;
    const resolved = tag.resolve(text, () => (failed = true), { intAsBigInt: false });
    if (failed) notPlain();
    return yaml().isScalar(resolved) ? resolved.value : resolved;
  }

  /** A key that the core schema reads as null, a boolean or a number. */
  private resolvesToOther(key: string): boolean {
    return this.schema.tags.some((t) => t.default === true && t.test?.test(key) === true);
  }
}

function isItem(text: string): boolean {
  return text === "-" || text.startsWith("- ");
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Text of a plain scalar up to its comment (" #"). */
function withoutComment(text: string): string {
  const hash = text.indexOf(" #");
  return (hash < 0 ? text : text.slice(0, hash)).trimEnd();
}

/**
 * A plain scalar this reader is sure of: no indicator at its start (a "-" only before a digit),
 * no ": " or trailing ":" that would make it a key, none of a flow's brackets or commas in a flow.
 */
function isPlainText(text: string, inFlow: boolean): boolean {
  if (text === "") return false;
  if (/^[?:,[\]{}#&*!|>'"%@`]/.test(text)) return false;
  if (text.startsWith("-") && !/^-[0-9.]/.test(text)) return false;
  if (text.includes(": ") || text.endsWith(":")) return false;
  return !(inFlow && /[,[\]{}:#]/.test(text));
}

/** `"text"` with no escapes (a backslash sends the file to readYaml), then maybe a comment. */
function doubleQuoted(text: string): string {
  const match = /^"([^"]*)"(?: +#.*)?$/.exec(text) ?? notPlain();
  return match[1] ?? "";
}

/** `'text'`, where `''` is one quote, then maybe a comment. */
function singleQuoted(text: string): string {
  const match = /^'((?:[^']|'')*)'(?: +#.*)?$/.exec(text) ?? notPlain();
  return (match[1] ?? "").replaceAll("''", "'");
}
