import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeUtf8, firstInvalidUtf8 } from "../../../src/manifest/decode-utf8.js";

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe("firstInvalidUtf8", () => {
  it.each<[string, Uint8Array, number]>([
    ["empty input", bytes(), -1],
    ["ASCII", bytes(0x61, 0x62), -1],
    ["two, three and four byte characters", new TextEncoder().encode("é€😀"), -1],
    ["a stray continuation byte", bytes(0x61, 0x80), 1],
    ["0xff", bytes(0x61, 0x62, 0xff), 2],
    ["an overlong two-byte form", bytes(0xc0, 0xaf), 0],
    ["an overlong three-byte form", bytes(0x61, 0xe0, 0x80, 0xaf), 1],
    ["a UTF-16 surrogate", bytes(0xed, 0xa0, 0x80), 0],
    ["a code point above U+10FFFF", bytes(0xf4, 0x90, 0x80, 0x80), 0],
    ["a sequence cut short by the end", bytes(0x61, 0xe2, 0x82), 1],
    ["a sequence cut short by ASCII", bytes(0xe2, 0x61, 0x61), 0],
  ])("finds %s", (_name, input, offset) => {
    expect(firstInvalidUtf8(input)).toBe(offset);
  });
});

describe("decodeUtf8", () => {
  it("drops a leading byte order mark", () => {
    expect(decodeUtf8(bytes(0xef, 0xbb, 0xbf, 0x61))).toEqual({ ok: true, text: "a" });
  });

  it("agrees with the platform's strict decoder on any bytes", () => {
    const strict = new TextDecoder("utf-8", { fatal: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
        const result = decodeUtf8(input);
        let expected: string | null;
        try {
          expected = strict.decode(input);
        } catch {
          expected = null;
        }
        if (expected === null) {
          expect(result.ok).toBe(false);
          if (!result.ok) expect(() => strict.decode(input.subarray(0, result.offset))).not.toThrow();
        } else {
          expect(result).toEqual({ ok: true, text: expected });
        }
      }),
    );
  });

  it("reports the offset where a valid prefix ends", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 30 }),
        fc.constantFrom(0x80, 0xc0, 0xff, 0xf8),
        (text, bad) => {
          const prefix = new TextEncoder().encode(text);
          const input = new Uint8Array([...prefix, bad, 0x61]);
          expect(decodeUtf8(input)).toEqual({ ok: false, offset: prefix.length });
        },
      ),
    );
  });
});
