/**
 * A secrets scan for tests: looks for every form a secret could take (as written, URL-encoded,
 * base64, and the `user:password` pair of a Basic header) in every object of git repositories
 * (`git cat-file --batch-all-objects`, so unreachable and packed objects too), in every file under
 * some directories, and in texts (log lines, error messages, environment dumps). A hit names the
 * secret and where it was found, never the secret's value, so a failing assertion leaks nothing.
 */
import { execFileSync } from "node:child_process";
import { lstatSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** What to scan, and for what. */
export interface SecretScanInput {
  /** The secrets by label (`{ "git password": "s3cret" }`); empty values are ignored. */
  secrets: Readonly<Record<string, string>>;
  /** Git repositories (bare or not) whose every object is scanned. */
  repoDir?: string | readonly string[];
  /** Log text: one string, or log lines. */
  logText?: string | readonly string[];
  /** Directories scanned recursively, every regular file (symlinks are not followed). */
  dirs?: readonly string[];
  /** More texts by name: error messages, a captured `/proc/<pid>/environ`, ... */
  texts?: Readonly<Record<string, string>>;
}

/** One place a secret was found. */
export interface SecretHit {
  /** The secret's label. */
  secret: string;
  /** Which form of it: `plain`, `url-encoded`, `base64`. */
  form: string;
  /** `object <sha> in <repo>`, `file <path>`, `log`, or the text's name. */
  where: string;
}

/** Every form of one secret to look for. */
interface Needle {
  secret: string;
  form: string;
  bytes: Buffer;
}

/** Most bytes read from one file: bigger files are read up to this many. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Scan everything `input` names for its secrets; an empty list means nothing was found. */
export function scanForSecrets(input: SecretScanInput): SecretHit[] {
  const needles = secretNeedles(input.secrets);
  if (needles.length === 0) return [];
  const hits: SecretHit[] = [];
  const look = (where: string, data: Buffer): void => {
    for (const needle of needles)
      if (data.includes(needle.bytes)) hits.push({ secret: needle.secret, form: needle.form, where });
  };
  for (const repo of list(input.repoDir)) scanRepo(repo, look);
  const log = input.logText;
  if (log !== undefined) look("log", Buffer.from(typeof log === "string" ? log : log.join("\n")));
  for (const dir of input.dirs ?? []) scanDir(dir, look);
  for (const [name, text] of Object.entries(input.texts ?? {})) look(name, Buffer.from(text));
  return hits;
}

/**
 * The secrets of a Basic-auth login: the password, and the `user:password` pair (whose base64 is
 * what an Authorization header carries). Add the result to `secrets`.
 */
export function basicAuthSecrets(
  label: string,
  credentials: { username: string; password: string },
): Record<string, string> {
  return {
    [label]: credentials.password,
    [`${label} (user:password)`]: `${credentials.username}:${credentials.password}`,
  };
}

/** A hit as one line, for assertion messages. */
export function describeHit(hit: SecretHit): string {
  return `${hit.secret} (${hit.form}) in ${hit.where}`;
}

function secretNeedles(secrets: Readonly<Record<string, string>>): Needle[] {
  const needles: Needle[] = [];
  for (const [secret, value] of Object.entries(secrets)) {
    if (value === "") continue;
    const forms = new Map<string, string>([
      ["plain", value],
      ["url-encoded", encodeURIComponent(value)],
      ["base64", Buffer.from(value, "utf8").toString("base64")],
    ]);
    const seen = new Set<string>();
    for (const [form, text] of forms) {
      if (seen.has(text)) continue;
      seen.add(text);
      needles.push({ secret, form, bytes: Buffer.from(text, "utf8") });
    }
  }
  return needles;
}

function list(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === "string" ? [value] : value;
}

/** Every object of `repo`, one by one (so a hit names its object). */
function scanRepo(repo: string, look: (where: string, data: Buffer) => void): void {
  const ids = execFileSync("git", ["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"], {
    cwd: repo,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  })
    .split("\n")
    .filter((id) => id !== "");
  if (ids.length === 0) return;
  const all = execFileSync("git", ["cat-file", "--batch"], {
    cwd: repo,
    input: ids.join("\n") + "\n",
    maxBuffer: 1024 * 1024 * 1024,
  });
  let at = 0;
  for (const id of ids) {
    const headerEnd = all.indexOf(0x0a, at);
    const size = Number(all.subarray(at, headerEnd).toString("utf8").split(" ")[2] ?? "0");
    const body = all.subarray(headerEnd + 1, headerEnd + 1 + size);
    look(`object ${id} in ${repo}`, body);
    at = headerEnd + 1 + size + 1;
  }
}

function scanDir(dir: string, look: (where: string, data: Buffer) => void): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat === undefined) continue;
    if (stat.isDirectory()) scanDir(path, look);
    else if (stat.isFile()) look(`file ${path}`, readHead(path, stat.size));
  }
}

function readHead(path: string, size: number): Buffer {
  try {
    const data = readFileSync(path);
    return size > MAX_FILE_BYTES ? data.subarray(0, MAX_FILE_BYTES) : data;
  } catch {
    return Buffer.alloc(0);
  }
}
