/**
 * The bearer tokens of `--api-tokens-file`: one `<token> <role> <name>` per line (role `read` or
 * `write`; `#` starts a comment). Tokens are compared in constant time, the file is re-read when it
 * changes (a broken edit keeps the tokens in force and is logged, without any token), and no token
 * is ever logged or returned.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type { Logger } from "pino";

/** What a token may do: `read` is GET only. */
export type ApiRole = "read" | "write";

/** Who called: the token's role and name (the name is the commit author of its writes). */
export interface ApiCaller {
  role: ApiRole;
  name: string;
}

interface TokenEntry extends ApiCaller {
  digest: Buffer;
}

/** A tokens file that cannot be used; the message names the line, never the token. */
export class TokenFileError extends Error {
  readonly code = "TokenFileError";
}

/** Parses a tokens file's text (throws TokenFileError on a bad line). */
export function parseTokens(text: string): ApiCaller[] {
  return parseEntries(text).map(({ role, name }) => ({ role, name }));
}

function parseEntries(text: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") return;
    const [token = "", role = "", ...rest] = line.split(/\s+/);
    const name = rest.join(" ");
    if (role !== "read" && role !== "write")
      throw new TokenFileError(`line ${index + 1}: the role must be read or write`);
    if (name === "") throw new TokenFileError(`line ${index + 1}: expected <token> <role> <name>`);
    if (token.length < 16)
      throw new TokenFileError(`line ${index + 1}: the token is shorter than 16 characters`);
    entries.push({ role, name, digest: digest(token) });
  });
  return entries;
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/** The tokens of one file, re-read whenever its size or modification time changes. */
export class ApiTokens {
  private entries: TokenEntry[];
  private stamp: string;

  /** Reads the file now; a missing or broken file is a TokenFileError (the controller does not start). */
  constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {
    this.stamp = this.fileStamp();
    this.entries = this.read();
  }

  /** The caller of an `Authorization` header, or null (no bearer token, or an unknown one). */
  authenticate(header: string | undefined): ApiCaller | null {
    this.reloadIfChanged();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
    if (!match) return null;
    const wanted = digest(match[1] ?? "");
    let found: TokenEntry | null = null;
    // Every entry is compared, so the time taken does not tell which (or whether one) matched.
    for (const entry of this.entries) if (timingSafeEqual(entry.digest, wanted)) found = entry;
    return found === null ? null : { role: found.role, name: found.name };
  }

  /** How many tokens are in force (the file re-read first if it changed); never the tokens. */
  count(): number {
    this.reloadIfChanged();
    return this.entries.length;
  }

  private read(): TokenEntry[] {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (error) {
      throw new TokenFileError(
        `cannot read ${this.file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`,
      );
    }
    return parseEntries(text);
  }

  private fileStamp(): string {
    try {
      const stat = statSync(this.file);
      return `${stat.size}:${stat.mtimeMs}:${stat.ino}`;
    } catch {
      return "missing";
    }
  }

  private reloadIfChanged(): void {
    const stamp = this.fileStamp();
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    try {
      this.entries = this.read();
      this.log.info({ file: this.file, tokens: this.entries.length }, "api tokens file re-read");
    } catch (error) {
      this.log.warn(
        { file: this.file, why: (error as Error).message },
        "api tokens file unusable; keeping the previous tokens",
      );
    }
  }
}
