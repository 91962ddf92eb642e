/**
 * One copy of each repeated string among records read together. JSON.parse makes a new string for
 * every value, so 100,000 records read at a start hold 100,000 copies of the same source commit,
 * configuration names, statuses and times; 20,000 component records repeat every layer's clone URL,
 * commit and playbook. A pool lives for one load and is dropped after it (issue 16).
 */
export class StringPool {
  private readonly strings = new Map<string, string>();

  /**
   * At most `limit` strings are held: the pool starts again when full. Most strings of a record
   * are its own (name, job, blob), and a pool of all of them grew to 500,000 entries over 100,000
   * records, its tables garbage by the end; a repeated string is pooled again within a round.
   */
  constructor(private readonly limit = 65_536) {}

  /** Strings held now. */
  get size(): number {
    return this.strings.size;
  }

  /** The pooled copy of `text` (the first one seen in this round). */
  intern(text: string): string {
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    if (this.strings.size >= this.limit) this.strings.clear();
    this.strings.set(text, text);
    return text;
  }

  /** Replaces, in place, every string of a value just parsed (objects and arrays no one else holds yet). */
  internDeep<T>(value: T): T {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = this.internValue(value[i]);
    } else if (value !== null && typeof value === "object") {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) record[key] = this.internValue(record[key]);
    }
    return value;
  }

  private internValue(value: unknown): unknown {
    return typeof value === "string" ? this.intern(value) : this.internDeep(value);
  }
}
