import { describe, expect, it } from "vitest";
import { humanSize } from "../../../src/cli/human-size.js";

describe("humanSize", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.0 KiB"],
    [1536, "1.5 KiB"],
    [10 * 1024, "10 KiB"],
    [230 * 1024 * 1024, "230 MiB"],
    [4.2 * 1024 ** 3, "4.2 GiB"],
  ])("%d bytes is %s", (bytes, text) => {
    expect(humanSize(bytes)).toBe(text);
  });
});
