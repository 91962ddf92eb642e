import { describe, expect, it } from "vitest";
import { StringPool } from "../../../src/controller/string-pool.js";

describe("StringPool", () => {
  it("gives back the first copy it saw of equal strings", () => {
    const pool = new StringPool();
    const first = pool.intern(["abc", "def"].join(""));
    expect(pool.intern(`abc${"def"}`)).toBe(first);
    expect(pool.intern("other")).toBe("other");
  });

  it("replaces the strings of a parsed record in place and leaves everything else as it was", () => {
    const pool = new StringPool();
    const text = JSON.stringify({
      name: "a",
      n: 3,
      ok: true,
      none: null,
      layers: [{ commit: "c1", hosts: ["x1", "x2"] }, { commit: "c1" }],
    });
    const value = JSON.parse(text) as { layers: Array<{ commit: string }> };
    const layers = value.layers;

    expect(pool.internDeep(value)).toBe(value);
    expect(value.layers).toBe(layers);
    expect(JSON.stringify(value)).toBe(text);
    expect(pool.internDeep(undefined)).toBeUndefined();
    expect(pool.internDeep(null)).toBeNull();
  });

  it("holds at most its limit of strings, and pools again after starting over", () => {
    const pool = new StringPool(4);
    for (let i = 0; i < 10; i++) pool.intern(`s${i}`);
    expect(pool.size).toBeLessThanOrEqual(4);
    pool.intern("again");
    expect(pool.size).toBeLessThanOrEqual(4);
    expect(pool.intern("again")).toBe("again");
  });
});
