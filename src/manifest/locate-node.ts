/** Find where a value of the parsed data sits in the YAML text, to position an error. */
import type { Document, Node } from "yaml";
import { yaml } from "./yaml-library.js";

/** Which part of the node at a path an error points at. */
export type NodePart = "value" | "key";

/**
 * Character offset of the node at `segments` (object keys and array indices, as in an ajv
 * instancePath): its key when `part` is "key" (or when the value is empty), else its value.
 * A path that leaves the document stops at the deepest node found; null if not even the root is.
 */
export function locateNode(doc: Document.Parsed, segments: readonly string[], part: NodePart): number | null {
  let node = follow(doc, doc.contents);
  let key: Node | null = null;
  for (const segment of segments) {
    const step = childOf(doc, node, segment);
    if (step === null) return offsetOf(key ?? node);
    ({ node, key } = step);
  }
  const wantsKey = part === "key" || (yaml().isScalar(node) && node.value === null);
  return offsetOf(wantsKey && key !== null ? key : node) ?? offsetOf(key);
}

/** The keys and indices of a JSON pointer (`/layers/0/commit` -> ["layers", "0", "commit"]). */
export function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function childOf(
  doc: Document.Parsed,
  node: unknown,
  segment: string,
): { node: unknown; key: Node | null } | null {
  if (yaml().isMap(node)) {
    const pair = node.items.find((p) => yaml().isScalar(p.key) && String(p.key.value) === segment);
    if (pair === undefined) return null;
    return { node: follow(doc, pair.value), key: yaml().isScalar(pair.key) ? pair.key : null };
  }
  if (yaml().isSeq(node) && /^\d+$/.test(segment)) {
    const item: unknown = node.items[Number(segment)];
    return item === undefined ? null : { node: follow(doc, item), key: null };
  }
  return null;
}

function follow(doc: Document.Parsed, node: unknown): unknown {
  return yaml().isAlias(node) ? (node.resolve(doc) ?? node) : node;
}

function offsetOf(node: unknown): number | null {
  if (node === null || typeof node !== "object" || !("range" in node)) return null;
  const range = (node as { range?: unknown }).range;
  return Array.isArray(range) && typeof range[0] === "number" ? range[0] : null;
}
