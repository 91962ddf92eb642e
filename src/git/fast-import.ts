/**
 * The `git fast-import` stream for one status commit: only the changed paths, contents inline,
 * so building a commit costs what the change costs, whatever the size of the branch.
 * Pure: data in, stream chunks out.
 */
import { createHash } from "node:crypto";

/** Committer and author of status commits. */
export const STATUS_IDENTITY = { name: "cfs-gitops", email: "cfs-gitops@localhost" } as const;

/** One commit to build. */
export interface FastImportCommit {
  /** The ref fast-import updates (a scratch ref; the branch is published separately). */
  ref: string;
  /** Parent commit, or null for a root (orphan) commit. */
  parent: string | null;
  message: string;
  when: Date;
  /** Path -> new content (`null` deletes the path). Applied in this order. */
  changes: ReadonlyArray<readonly [string, Buffer | null]>;
  identity?: { name: string; email: string };
  /** Blobs to store before the commit (the files of `trees`, whose tree objects reference them). */
  blobs?: readonly Buffer[];
  /** Directories replaced whole by a tree already in the repository: path -> tree id; before `changes`. */
  trees?: ReadonlyArray<readonly [string, string]>;
}

/** Mark of the commit, for `get-mark`. */
export const COMMIT_MARK = ":1";

/**
 * The stream for `git fast-import --done`: a `reset` (so a leftover scratch ref never becomes a
 * parent), the commit, `get-mark` (fast-import prints the new commit id) and `done`.
 */
export function buildFastImportStream(commit: FastImportCommit): Buffer[] {
  const identity = commit.identity ?? STATUS_IDENTITY;
  const when = `${Math.floor(commit.when.getTime() / 1000)} +0000`;
  const person = `${identity.name} <${identity.email}> ${when}`;
  const message = Buffer.from(normalizeMessage(commit.message), "utf8");
  const chunks: Buffer[] = [text(`reset ${commit.ref}\n\n`)];
  for (const blob of commit.blobs ?? []) chunks.push(text(`blob\ndata ${blob.length}\n`), blob, text("\n"));
  chunks.push(
    text(`commit ${commit.ref}\nmark ${COMMIT_MARK}\nauthor ${person}\ncommitter ${person}\n`),
    text(`data ${message.length}\n`),
    message,
    text("\n"),
  );
  if (commit.parent !== null) chunks.push(text(`from ${commit.parent}\n`));
  for (const [path, tree] of commit.trees ?? []) chunks.push(text(`M 040000 ${tree} ${quotePath(path)}\n`));
  for (const [path, content] of commit.changes) {
    if (content === null) {
      chunks.push(text(`D ${quotePath(path)}\n`));
    } else {
      chunks.push(text(`M 100644 inline ${quotePath(path)}\ndata ${content.length}\n`), content, text("\n"));
    }
  }
  chunks.push(text(`\nget-mark ${COMMIT_MARK}\ndone\n`));
  return chunks;
}

/** A commit message as git stores it: no trailing blank lines, one final newline. */
export function normalizeMessage(message: string): string {
  return `${message.replace(/\s+$/, "")}\n`;
}

/** Quote a path the way fast-import reads it: C-style only when it starts with `"` or has a newline. */
export function quotePath(path: string): string {
  if (!path.startsWith('"') && !/[\n\r\\]/.test(path)) return path;
  const escaped = path.replace(/[\\"\n\r\t]/g, (c) => {
    const map: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t" };
    return map[c] ?? c;
  });
  return `"${escaped}"`;
}

/** The blob id git gives `content` (`git hash-object --stdin`), computed in-process. */
export function hashBlob(content: Buffer, format: "sha1" | "sha256" = "sha1"): string {
  return createHash(format).update(`blob ${content.length}\0`).update(content).digest("hex");
}

/**
 * Reject status paths git would store badly or not at all: empty, absolute, `.`/`..`/`.git`
 * components, doubled slashes, NUL.
 */
export function isValidStatusPath(path: string): boolean {
  if (path === "" || path.includes("\0")) return false;
  return path
    .split("/")
    .every((part) => part !== "" && part !== "." && part !== ".." && part.toLowerCase() !== ".git");
}

function text(value: string): Buffer {
  return Buffer.from(value, "utf8");
}
