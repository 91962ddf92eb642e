/** Strict UTF-8 decoding that can say where the first bad byte is. */

/** The text of `bytes` (a leading BOM dropped), or the offset of the first byte that is not valid UTF-8. */
export type DecodeResult = { ok: true; text: string } | { ok: false; offset: number };

const strict = new TextDecoder("utf-8", { fatal: true });

/** Decode `bytes` as UTF-8; on failure report the offset of the first invalid byte. */
export function decodeUtf8(bytes: Uint8Array): DecodeResult {
  try {
    return { ok: true, text: strict.decode(bytes) };
  } catch {
    return { ok: false, offset: Math.max(0, firstInvalidUtf8(bytes)) };
  }
}

/** Offset of the first byte that starts an invalid UTF-8 sequence, or -1 if `bytes` is valid UTF-8. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length === 0) return i;
    i += length;
  }
  return -1;
}

/** Length of the valid sequence starting at `i` (1 to 4), or 0 if it is not valid. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i] ?? 0;
  if (lead < 0x80) return 1;
  const [length, low, high] = leadRange(lead);
  if (length === 0) return 0;
  const second = bytes[i + 1];
  if (second === undefined || second < low || second > high) return 0;
  for (let k = 2; k < length; k += 1) {
    if (!isContinuation(bytes[i + k])) return 0;
  }
  return length;
}

/** For a lead byte: sequence length and the allowed range of the second byte (no overlongs, no surrogates). */
function leadRange(lead: number): [number, number, number] {
  if (lead >= 0xc2 && lead <= 0xdf) return [2, 0x80, 0xbf];
  if (lead === 0xe0) return [3, 0xa0, 0xbf];
  if (lead === 0xed) return [3, 0x80, 0x9f];
  if (lead >= 0xe1 && lead <= 0xef) return [3, 0x80, 0xbf];
  if (lead === 0xf0) return [4, 0x90, 0xbf];
  if (lead >= 0xf1 && lead <= 0xf3) return [4, 0x80, 0xbf];
  if (lead === 0xf4) return [4, 0x80, 0x8f];
  return [0, 0, 0];
}

function isContinuation(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x80 && byte <= 0xbf;
}
