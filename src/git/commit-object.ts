/**
 * A raw commit object split the way git checks its signature: the signature header (`gpgsig`, and
 * `gpgsig-sha256` in SHA-256 repositories) and the payload that was signed (the object without
 * any signature header), plus what a verdict reports. Pure.
 */

/** What verification needs from one commit. */
export interface CommitObject {
  parents: string[];
  /** `Name <email>` of the author. */
  author: string;
  /** Committer time (what git checks key validity against). */
  committerTime: Date;
  message: string;
  /** The armored signature for the repository's hash (null: unsigned). */
  signature: string | null;
  /** The object without its signature headers: the bytes that were signed. */
  payload: Buffer;
}

const SIGNATURE_HEADERS = new Set(["gpgsig", "gpgsig-sha256"]);

/** Parses a commit object (`git cat-file commit`); `format` picks the signature header. */
export function parseCommitObject(raw: Buffer, format: "sha1" | "sha256" = "sha1"): CommitObject {
  // latin1 keeps every byte as one character, so the payload is rebuilt byte for byte.
  const text = raw.toString("latin1");
  const end = text.indexOf("\n\n");
  const head = end === -1 ? text : text.slice(0, end);
  const message = end === -1 ? "" : text.slice(end + 2);
  const { kept, signatures } = splitHeaders(head);
  const wanted = signatures.get(format === "sha1" ? "gpgsig" : "gpgsig-sha256");
  const payload = end === -1 ? kept.join("\n") : `${kept.join("\n")}\n\n${message}`;
  return {
    parents: headerValues(kept, "parent"),
    author: utf8(person(headerValues(kept, "author")[0] ?? "")),
    committerTime: personTime(headerValues(kept, "committer")[0] ?? ""),
    message: utf8(message),
    signature: wanted ? wanted.join("\n") : null,
    payload: Buffer.from(payload, "latin1"),
  };
}

/** The header lines without signature headers, and the signature headers' values (continuations joined). */
function splitHeaders(head: string): { kept: string[]; signatures: Map<string, string[]> } {
  const kept: string[] = [];
  const signatures = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of head.split("\n")) {
    if (line.startsWith(" ") && current !== null) {
      current.push(line.slice(1));
      continue;
    }
    const space = line.indexOf(" ");
    const name = space === -1 ? line : line.slice(0, space);
    current = null;
    if (SIGNATURE_HEADERS.has(name)) {
      current = [line.slice(space + 1)];
      signatures.set(name, current);
    } else kept.push(line);
  }
  return { kept, signatures };
}

function utf8(latin1: string): string {
  return Buffer.from(latin1, "latin1").toString("utf8");
}

function headerValues(lines: readonly string[], name: string): string[] {
  const prefix = `${name} `;
  return lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
}

/** `Name <email> 1700000000 +0000` -> `Name <email>`. */
function person(value: string): string {
  return value.replace(/\s+\d+\s+[+-]\d{4}$/, "");
}

function personTime(value: string): Date {
  const seconds = /\s(\d+)\s+[+-]\d{4}$/.exec(value)?.[1];
  return new Date(seconds === undefined ? Number.NaN : Number(seconds) * 1000);
}

/** The subject as git's `%s` prints it: the first paragraph, its lines joined by spaces. */
export function commitSubject(message: string): string {
  const paragraph = message.replace(/^\n+/, "").split(/\n\s*\n/)[0] ?? "";
  return paragraph
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .join(" ");
}

/** The values of `key:` trailers in the message's last paragraph (as `%(trailers:key=...)` reads them). */
export function trailerValues(message: string, key: string): string[] {
  const paragraphs = message.trimEnd().split(/\n\s*\n/);
  if (paragraphs.length < 2) return [];
  const last = paragraphs.at(-1) ?? "";
  const prefix = `${key.toLowerCase()}:`;
  return last
    .split("\n")
    .filter((l) => l.toLowerCase().startsWith(prefix))
    .map((l) => l.slice(prefix.length).trim());
}
