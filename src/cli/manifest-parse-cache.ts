/**
 * Parsed manifests kept by blob, so reading the tree again after a write (the REST API reads it for
 * every create) parses only the files that changed. The manifest parser is pure, so a blob read at
 * the same path with the same mode always parses the same; the path is part of the key because it
 * decides the kind and the name a manifest must carry. Bounded in entries and in text bytes; the
 * least recently used entries go first.
 */
import type { ParsedFile } from "../plan/index.js";

/** What one manifest file reads as: its text (for error positions) and its parse. */
export interface CachedManifest {
  text: string;
  parsed: ParsedFile;
}

/** Identifies a parse: the blob, the path it sits at, and its Git mode. */
export interface ParseKey {
  blob: string;
  path: string;
  mode: string;
}

/** Bounds of a ManifestParseCache. */
export interface ParseCacheLimits {
  /** Most entries kept (default 20,000: a 10,000-session repository and a change of every file). */
  maxEntries?: number;
  /** Most characters of text kept over all entries (default 64 Mi). */
  maxTextChars?: number;
}

const DEFAULT_MAX_ENTRIES = 20_000;
const DEFAULT_MAX_TEXT_CHARS = 64 * 1024 * 1024;

/** A bounded, least-recently-used map of parsed manifests. */
export class ManifestParseCache {
  private readonly entries = new Map<string, CachedManifest>();
  private textChars = 0;
  private readonly maxEntries: number;
  private readonly maxTextChars: number;

  constructor(limits: ParseCacheLimits = {}) {
    this.maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.maxTextChars = limits.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS;
  }

  /** Entries kept now. */
  get size(): number {
    return this.entries.size;
  }

  /** The parse kept for `key` (and marks it recently used), or undefined. */
  get(key: ParseKey): CachedManifest | undefined {
    const id = keyOf(key);
    const found = this.entries.get(id);
    if (found === undefined) return undefined;
    this.entries.delete(id);
    this.entries.set(id, found);
    return found;
  }

  /** Keeps the parse of `key`, dropping the least recently used entries past the bounds. */
  set(key: ParseKey, value: CachedManifest): void {
    if (value.text.length > this.maxTextChars) return;
    this.drop(keyOf(key));
    this.entries.set(keyOf(key), value);
    this.textChars += value.text.length;
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries && this.textChars <= this.maxTextChars) break;
      this.drop(oldest);
    }
  }

  private drop(id: string): void {
    const old = this.entries.get(id);
    if (old === undefined) return;
    this.entries.delete(id);
    this.textChars -= old.text.length;
  }
}

/** The cache every readManifestTree of this process shares (the REST API's writes, the CLI's). */
export const sharedParseCache = new ManifestParseCache();

function keyOf(key: ParseKey): string {
  return `${key.blob}\0${key.mode}\0${key.path}`;
}
