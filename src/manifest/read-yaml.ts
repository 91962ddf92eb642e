/**
 * Read one YAML document with positions, cheaply and safely: nesting bombs are refused before the
 * parser sees them, a second document stops the parse, duplicate keys are found in linear time,
 * and aliases are capped (billion laughs).
 */
import type { Document, LineCounter, Node } from "yaml";
import { yaml } from "./yaml-library.js";
import { failureMessage } from "../api/errors.js";

/** Most brackets or compact block indicators (`- - -`) nested on top of each other. */
export const MAX_NESTING = 100;

/** Most aliases a manifest may use, and the most nodes their expansion may reach (yaml `maxAliasCount`). */
export const MAX_ALIASES = 100;

/** An error found while reading YAML, at a character offset of the text. */
export interface YamlProblem {
  offset: number;
  message: string;
}

/** A single document (null for an empty file) with its plain value, or what went wrong. */
export type YamlReadResult =
  | { ok: true; doc: Document.Parsed | null; value: unknown; lineCounter: LineCounter }
  | { ok: false; problems: YamlProblem[]; lineCounter: LineCounter };

const MAX_REPORTED = 10;

/** Parse `text` as exactly one YAML 1.2 (core schema) document and convert it to plain data. */
export function readYaml(text: string): YamlReadResult {
  const lineCounter = new (yaml().LineCounter)();
  const fail = (problems: YamlProblem[]): YamlReadResult => ({
    ok: false,
    problems: problems.slice(0, MAX_REPORTED),
    lineCounter,
  });
  const tooDeep = nestingOffset(text);
  if (tooDeep >= 0) {
    indexLines(text, lineCounter);
    return fail([
      { offset: tooDeep, message: `YAML nested more than ${MAX_NESTING} levels deep: flatten it` },
    ]);
  }
  const composed = composeOne(text, lineCounter);
  if ("problems" in composed) return fail(composed.problems);
  const { doc } = composed;
  if (doc === null) return { ok: true, doc, value: null, lineCounter };
  const treeProblems = checkTree(doc);
  if (treeProblems.length > 0) return fail(treeProblems);
  const converted = toPlain(doc);
  if ("problems" in converted) return fail(converted.problems);
  return { ok: true, doc, value: converted.value, lineCounter };
}

/** Record every line start, as the parser would have, for a text refused before parsing. */
function indexLines(text: string, lineCounter: LineCounter): void {
  lineCounter.addNewLine(0);
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lineCounter.addNewLine(i + 1);
}

/** Offset where brackets or compact block indicators nest deeper than MAX_NESTING, or -1. */
function nestingOffset(text: string): number {
  const chain = new RegExp(`^[ \\t]*(?:[-?:][ \\t]+){${MAX_NESTING + 1}}`, "m").exec(text);
  if (chain !== null) return chain.index;
  let depth = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 0x5b || code === 0x7b) {
      depth += 1;
      if (depth > MAX_NESTING) return i;
    } else if ((code === 0x5d || code === 0x7d) && depth > 0) {
      depth -= 1;
    }
  }
  return -1;
}

function composeOne(
  text: string,
  lineCounter: LineCounter,
): { doc: Document.Parsed | null } | { problems: YamlProblem[] } {
  const parser = new (yaml().Parser)(lineCounter.addNewLine);
  // logLevel "error": the library's warnings (a mapping used as a key, say) would go to the process's
  // stderr; what they describe reaches the user as a positioned schema error instead.
  const composer = new (yaml().Composer)({
    prettyErrors: false,
    uniqueKeys: false,
    schema: "core",
    logLevel: "error",
  });
  const docs: Document.Parsed[] = [];
  let seen = 0;
  for (const token of parser.parse(text)) {
    if (token.type === "document" && ++seen > 1) {
      return { problems: [{ offset: token.offset, message: SECOND_DOCUMENT }] };
    }
    docs.push(...composer.next(token));
  }
  docs.push(...composer.end());
  const doc = docs[0] ?? null;
  const errors = [...(doc?.errors ?? []), ...composer.streamInfo().errors];
  const unknownTags = (doc?.warnings ?? []).filter((w) => w.code === "TAG_RESOLVE_FAILED");
  const problems = [
    ...errors.map((e) => ({ offset: e.pos[0], message: `invalid YAML: ${e.message}` })),
    ...unknownTags.map((w) => ({
      offset: w.pos[0],
      message: `${w.message}: manifests use plain YAML values, remove the tag`,
    })),
  ];
  return problems.length > 0 ? { problems } : { doc };
}

const SECOND_DOCUMENT =
  "a second YAML document starts here: a manifest file holds exactly one document, move this one to its own file";

/** Duplicate keys (each repeat is reported at its key) and too many aliases. */
function checkTree(doc: Document.Parsed): YamlProblem[] {
  const problems: YamlProblem[] = [];
  let aliases = 0;
  yaml().visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!yaml().isScalar(pair.key)) continue;
        const name = String(pair.key.value);
        if (seen.has(name) && problems.length < MAX_REPORTED) problems.push(duplicateKey(name, pair.key));
        seen.add(name);
      }
    },
    Alias(_key, alias) {
      aliases += 1;
      if (aliases === MAX_ALIASES + 1) {
        problems.push({ offset: startOf(alias), message: TOO_MANY_ALIASES });
        return yaml().visit.BREAK;
      }
      return undefined;
    },
  });
  return problems;
}

const TOO_MANY_ALIASES = `more than ${MAX_ALIASES} aliases (*name): write the values out instead of repeating anchors`;

function duplicateKey(name: string, key: Node): YamlProblem {
  return {
    offset: startOf(key),
    message: `duplicate key ${JSON.stringify(name)}: each key may appear only once in a mapping, remove one`,
  };
}

function toPlain(doc: Document.Parsed): { value: unknown } | { problems: YamlProblem[] } {
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIASES }) };
  } catch (err) {
    return { problems: [{ offset: firstAliasOffset(doc), message: conversionMessage(err) }] };
  }
}

function conversionMessage(err: unknown): string {
  const text = failureMessage(err);
  if (/excessive alias count/i.test(text)) {
    return `aliases expand to more than ${MAX_ALIASES} nodes (a "billion laughs" alias bomb?): write the values out instead`;
  }
  if (err instanceof RangeError) return "YAML nested too deeply to read: flatten it";
  return `invalid YAML: ${text}`;
}

function firstAliasOffset(doc: Document.Parsed): number {
  let offset = 0;
  yaml().visit(doc, {
    Alias(_key, alias) {
      offset = startOf(alias);
      return yaml().visit.BREAK;
    },
  });
  return offset;
}

function startOf(node: { range?: [number, number, number] | null }): number {
  return node.range?.[0] ?? 0;
}
