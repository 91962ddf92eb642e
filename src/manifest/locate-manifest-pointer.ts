/** Position a JSON pointer inside a manifest's text, for errors found across files (by the planner). */
import { locateNode, pointerSegments } from "./locate-node.js";
import { readYaml } from "./read-yaml.js";

/** 1-based line and column of the value a JSON pointer (`/configuration/name`) names in `text`; 1:1 if absent. */
export function locateManifestPointer(text: string, pointer: string): { line: number; column: number } {
  const read = readYaml(text.replace(/^\uFEFF/, ""));
  if (!read.ok || read.doc === null) return { line: 1, column: 1 };
  const offset = locateNode(read.doc, pointerSegments(pointer), "value") ?? 0;
  const { line, col } = read.lineCounter.linePos(offset);
  return { line: Math.max(1, line), column: Math.max(1, col) };
}
