import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatListenAddress, parseListenAddress } from "../../../src/server/listen-address.js";

describe("parseListenAddress", () => {
  it.each([
    [":8080", { host: null, port: 8080 }],
    ["8080", { host: null, port: 8080 }],
    ["127.0.0.1:8080", { host: "127.0.0.1", port: 8080 }],
    ["localhost:0", { host: "localhost", port: 0 }],
    ["[::1]:9090", { host: "::1", port: 9090 }],
    ["[::]:80", { host: "::", port: 80 }],
    ["0.0.0.0:65535", { host: "0.0.0.0", port: 65535 }],
  ])("reads %s", (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });

  it.each(["", ":", "http://x:80", "x:65536", "x:-1", "::1:80", "a b:80", "host", ":80/path"])(
    "rejects %j",
    (text) => {
      expect(parseListenAddress(text)).toBeNull();
    },
  );

  it("round-trips through formatListenAddress", () => {
    const hosts = fc.constantFrom(null, "127.0.0.1", "::1", "example.org");
    fc.assert(
      fc.property(hosts, fc.integer({ min: 0, max: 65535 }), (host, port) => {
        expect(parseListenAddress(formatListenAddress({ host, port }))).toEqual({ host, port });
      }),
    );
  });
});
