import { describe, expect, it } from "vitest";
import { credentialEnv, credentialSecrets, splitUrlCredentials } from "../../../src/git/credentials.js";
import { redactUrl, scrubSecrets } from "../../../src/git/scrub-secrets.js";

describe("scrubSecrets", () => {
  it("removes user:pass@ from URLs", () => {
    expect(scrubSecrets("fatal: unable to access 'https://bob:hunter2@git.example.org/x.git/'")).toBe(
      "fatal: unable to access 'https://***@git.example.org/x.git/'",
    );
  });

  it("removes a token-only userinfo", () => {
    expect(scrubSecrets("http://ghp_abcdef0123456789@h/r")).toBe("http://***@h/r");
  });

  it("removes Authorization header values to the end of the line", () => {
    const text =
      "> Authorization: Basic Ym9iOmh1bnRlcjI=\n> Host: h\nhttp.extraHeader=Authorization: Bearer abc";
    expect(scrubSecrets(text)).toBe("> Authorization: ***\n> Host: h\nhttp.extraHeader=Authorization: ***");
  });

  it("removes bare Basic and Bearer credentials", () => {
    expect(scrubSecrets("sent Basic Ym9iOmh1bnRlcjI= then Bearer abcdefgh12345")).toBe(
      "sent Basic *** then Bearer ***",
    );
  });

  it("masks every given secret, its URL-encoded form, longest first", () => {
    const secrets = credentialSecrets({ username: "bob", password: "p@ss/w:rd" });
    const text =
      "pw p@ss/w:rd enc p%40ss%2Fw%3Ard pair bob:p@ss/w:rd b64 " +
      Buffer.from("bob:p@ss/w:rd").toString("base64");
    const out = scrubSecrets(text, secrets);
    expect(out).not.toContain("p@ss/w:rd");
    expect(out).not.toContain("p%40ss%2Fw%3Ard");
    expect(out).not.toContain(Buffer.from("bob:p@ss/w:rd").toString("base64"));
    expect(out).toBe("pw *** enc *** pair *** b64 ***");
  });

  it("ignores empty secrets and leaves plain text alone", () => {
    expect(scrubSecrets("nothing to see", ["", ""])).toBe("nothing to see");
  });
});

describe("redactUrl", () => {
  it("drops userinfo and keeps paths unchanged", () => {
    expect(redactUrl("https://u:p@h/x.git")).toBe("https://h/x.git");
    expect(redactUrl("/srv/git/x.git")).toBe("/srv/git/x.git");
  });
});

describe("splitUrlCredentials", () => {
  it("takes credentials out of the URL, decoded", () => {
    expect(splitUrlCredentials("https://bob:p%40ss@h/x.git")).toEqual({
      url: "https://h/x.git",
      credentials: { username: "bob", password: "p@ss" },
    });
  });

  it("leaves URLs without credentials and non-URLs alone", () => {
    expect(splitUrlCredentials("https://h/x.git")).toEqual({ url: "https://h/x.git", credentials: null });
    expect(splitUrlCredentials("/srv/x.git")).toEqual({ url: "/srv/x.git", credentials: null });
  });
});

describe("credentialEnv", () => {
  it("passes the Authorization header through GIT_CONFIG_* and switches credential helpers off", () => {
    expect(credentialEnv({ username: "bob", password: "pw" })).toEqual({
      GIT_CONFIG_COUNT: "2",
      GIT_CONFIG_KEY_0: "credential.helper",
      GIT_CONFIG_VALUE_0: "",
      GIT_CONFIG_KEY_1: "http.extraHeader",
      GIT_CONFIG_VALUE_1: `Authorization: Basic ${Buffer.from("bob:pw").toString("base64")}`,
    });
  });

  it("scopes the header to the remote's URL when given, so redirects elsewhere do not get it", () => {
    const env = credentialEnv({ username: "bob", password: "pw" }, "https://git.example.org/x.git");
    expect(env["GIT_CONFIG_KEY_1"]).toBe("http.https://git.example.org/x.git.extraHeader");
  });

  it("sets no header without credentials", () => {
    expect(credentialEnv(null)).toEqual({
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "credential.helper",
      GIT_CONFIG_VALUE_0: "",
    });
  });
});
