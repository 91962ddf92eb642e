/**
 * `ansible.passthrough`: split the text into argv the way a POSIX shell (Python's `shlex.split`)
 * would, then check that it carries only the flags CFS allows, each with its value. The runners
 * append the argv to `ansible-playbook` directly, never through a shell.
 */
import { posix } from "node:path";
import { PASSTHROUGH_FLAGS } from "../api/index.js";

/** What `parsePassthrough` returns: the argv to append, or why the text is not allowed. */
export type PassthroughResult = { ok: true; argv: string[] } | { ok: false; message: string };

type Piece = { ok: true; value: string; end: number } | { ok: false; message: string };

const ALLOWED: ReadonlySet<string> = new Set(PASSTHROUGH_FLAGS);
const ALLOWED_TEXT = "-e/--extra-vars, -f/--forks, --skip-tags, --start-at-task and -t/--tags";
const FORKS_FLAGS: ReadonlySet<string> = new Set(["-f", "--forks"]);
const SHELL_SPACE = /[ \t\r\n]/;
const PLAIN_END = /[ \t\r\n'"\\]/;

/** Split `text` like `shlex.split` and accept it only if it holds allowed flags with their values. */
export function parsePassthrough(text: string): PassthroughResult {
  const split = splitWords(text);
  if (!split.ok) return split;
  return checkFlags(split.argv);
}

/** Quote one argv word so that `parsePassthrough` reads it back unchanged (like `shlex.quote`). */
export function quotePassthroughWord(word: string): string {
  if (word !== "" && /^[A-Za-z0-9@%+=:,./_-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}

function splitWords(text: string): PassthroughResult {
  const argv: string[] = [];
  let word: string | null = null;
  let i = 0;
  while (i < text.length) {
    if (SHELL_SPACE.test(text.charAt(i))) {
      if (word !== null) argv.push(word);
      word = null;
      i += 1;
      continue;
    }
    const piece = readPiece(text, i);
    if (!piece.ok) return piece;
    word = (word ?? "") + piece.value;
    i = piece.end;
  }
  if (word !== null) argv.push(word);
  return { ok: true, argv };
}

function readPiece(text: string, start: number): Piece {
  const ch = text.charAt(start);
  if (ch === "'") return readSingleQuoted(text, start);
  if (ch === '"') return readDoubleQuoted(text, start);
  if (ch === "\\") {
    if (start + 1 >= text.length) return { ok: false, message: "the backslash at the end escapes nothing" };
    return { ok: true, value: text.charAt(start + 1), end: start + 2 };
  }
  let end = start;
  while (end < text.length && !PLAIN_END.test(text.charAt(end))) end += 1;
  return { ok: true, value: text.slice(start, end), end };
}

function readSingleQuoted(text: string, start: number): Piece {
  const close = text.indexOf("'", start + 1);
  if (close < 0) return { ok: false, message: `the ' at character ${start + 1} is never closed` };
  return { ok: true, value: text.slice(start + 1, close), end: close + 1 };
}

function readDoubleQuoted(text: string, start: number): Piece {
  let value = "";
  let i = start + 1;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === '"') return { ok: true, value, end: i + 1 };
    const next = text.charAt(i + 1);
    if (ch === "\\" && (next === '"' || next === "\\")) {
      value += next;
      i += 2;
    } else {
      value += ch;
      i += 1;
    }
  }
  return { ok: false, message: `the " at character ${start + 1} is never closed` };
}

function checkFlags(argv: string[]): PassthroughResult {
  let i = 0;
  while (i < argv.length) {
    const token = argv[i] ?? "";
    const flag = splitFlag(token);
    if (flag === null) {
      return fail(
        `${JSON.stringify(token)} is not a flag: only ${ALLOWED_TEXT} are allowed, each followed by its value`,
      );
    }
    if (!ALLOWED.has(flag.name)) {
      return fail(`flag ${JSON.stringify(flag.name)} is not allowed (allowed: ${ALLOWED_TEXT})`);
    }
    const separate = flag.value === null;
    const value = flag.value ?? argv[i + 1];
    i += separate ? 2 : 1;
    const problem = checkValue(flag.name, value, separate);
    if (problem !== null) return fail(problem);
  }
  return { ok: true, argv };
}

/** `--name=value` -> {name, value}; `-xVALUE` -> {"-x", VALUE}; a non-flag -> null. */
function splitFlag(token: string): { name: string; value: string | null } | null {
  if (!token.startsWith("-") || token === "-") return null;
  if (token.startsWith("--")) {
    const eq = token.indexOf("=");
    return eq < 0 ? { name: token, value: null } : { name: token.slice(0, eq), value: token.slice(eq + 1) };
  }
  const name = token.slice(0, 2);
  if (!ALLOWED.has(name)) return { name: token.split("=")[0] ?? token, value: null };
  return { name, value: token.length > 2 ? token.slice(2).replace(/^=/, "") : null };
}

function checkValue(flag: string, value: string | undefined, separate: boolean): string | null {
  if (value === undefined || value === "" || (separate && value.startsWith("-"))) {
    return `flag ${JSON.stringify(flag)} needs a value`;
  }
  if (isExtraVarsFlag(flag) && value.startsWith("@")) return extraVarsFileProblem(flag, value.slice(1));
  if (FORKS_FLAGS.has(flag) && !/^[1-9][0-9]*$/.test(value)) {
    return `flag ${JSON.stringify(flag)} needs a whole number of forks (got ${JSON.stringify(value)})`;
  }
  return null;
}

/** `-e`, `--extra-vars`, or an abbreviation of it as ansible-playbook's argparse takes it (`--extra`). */
export function isExtraVarsFlag(flag: string): boolean {
  return flag === "-e" || (flag.length >= 3 && "--extra-vars".startsWith(flag));
}

/**
 * The files that `-e @<file>` forms in passthrough argv (as parsePassthrough returns it) make
 * ansible-playbook read, as written after the `@`.
 */
export function extraVarsFiles(argv: readonly string[]): string[] {
  const files: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const flag = splitFlag(argv[i] ?? "");
    if (flag === null) continue;
    const value = flag.value ?? argv[i + 1];
    if (flag.value === null) i += 1;
    if (isExtraVarsFlag(flag.name) && value?.startsWith("@") === true) files.push(value.slice(1));
  }
  return files;
}

/** The directories of a session's clones, relative to its work directory: `layer<i>/`, and `hosts/`. */
const CLONE_DIR = /^(layer[0-9]+|hosts)$/;

/**
 * Why `-e @<file>` must not run, or null when `file` is a relative path inside one of the session's
 * clones (`layer<i>/...` or `hosts/...`). ansible-playbook reads the file on the host it runs on,
 * so anything else (an absolute path, `~`, quotes, `..` out of the clone) could read the
 * controller's files into the run.
 */
export function extraVarsFileProblem(flag: string, file: string): string | null {
  const normalized = posix.normalize(file);
  const first = normalized.split("/")[0] ?? "";
  if (normalized.includes("/") && !posix.isAbsolute(normalized) && CLONE_DIR.test(first)) return null;
  return (
    `flag ${JSON.stringify(flag)} reads ${JSON.stringify(`@${file}`)}: an @file must be a relative path ` +
    `inside the session's clones, so write "@layer<i>/<file>" (a file of layer i's repository) or ` +
    `"@hosts/<file>" (the additional inventory), or give the variables inline (-e key=value)`
  );
}

function fail(message: string): PassthroughResult {
  return { ok: false, message };
}
