/**
 * `cfs-gitops controller --verify-commits --api-listen ...` as a process (the built CLI): the API
 * reads through the controller's verifying source, so a configuration added by an unsigned commit
 * is served neither before nor after the controller's passes. Needs `npm run build`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { callApi, type ApiAnswer } from "../helpers/api-client.js";
import { ConfigRepo, tempDir } from "../helpers/config-repo.js";
import { commitSigned, makeSshKey, writeAllowedSigners } from "../helpers/signing-keys.js";
import { SITE_CONFIG } from "../integration/server/api/api-harness.js";

const CLI = resolve("dist/src/cli/main.js");
const TOKEN = "verified-api-token-0123456789";

let dir: { path: string; cleanup: () => void };
let child: ChildProcess | null = null;
let output = "";

beforeAll(() => {
  dir = tempDir("cfs-e2e-api-verified-");
});

afterAll(() => {
  child?.kill("SIGKILL");
  dir?.cleanup();
});

/** Waits for the controller's `api listening` line: the bound port. */
function apiPort(process: ChildProcess): Promise<number> {
  return new Promise((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`no "api listening" line within 60 s:\n${output}`)),
      60_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      const api = /"listen":"127\.0\.0\.1:(\d+)","scheme":"http","msg":"api listening"/.exec(output);
      if (!api) return;
      clearTimeout(timer);
      done(Number(api[1]));
    };
    process.stderr?.on("data", onData);
    process.stdout?.on("data", onData);
    process.on("close", (code) =>
      fail(new Error(`controller exited (${code}) before the API listened:\n${output}`)),
    );
  });
}

it("serves only verified commits through the API", async () => {
  const alice = makeSshKey(join(dir.path, "keys"), "alice");
  const allowed = join(dir.path, "allowed_signers");
  writeAllowedSigners(allowed, [{ principal: "alice@example.org", key: alice }]);
  const repo = new ConfigRepo(join(dir.path, "config"));
  commitSigned({
    repo: repo.path,
    key: alice,
    files: { "configurations/site.yaml": SITE_CONFIG },
    message: "seed",
  });
  commitSigned({
    repo: repo.path,
    key: null,
    files: { "configurations/evil.yaml": SITE_CONFIG.replace("name: site", "name: evil") },
  });
  const tokens = join(dir.path, "tokens");
  writeFileSync(tokens, `${TOKEN} read reader\n`);
  child = spawn(
    process.execPath,
    [
      CLI,
      "controller",
      "--repo",
      repo.path,
      "--data-dir",
      join(dir.path, "data"),
      "--verify-commits",
      "--allowed-signers",
      allowed,
      "--api-listen",
      "127.0.0.1:0",
      "--api-insecure",
      "--api-tokens-file",
      tokens,
    ],
    { env: { PATH: process.env.PATH ?? "", HOME: dir.path }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const url = `http://127.0.0.1:${await apiPort(child)}`;
  const get = (path: string): Promise<ApiAnswer> =>
    callApi({ url, path: `/apis/cfs/v3${path}`, token: TOKEN });
  expect((await get("/configurations/site")).status).toBe(200);
  expect((await get("/configurations/evil")).status).toBe(404);
  const names = ((await get("/configurations")).json.configurations as Array<{ name: string }>).map(
    (c) => c.name,
  );
  expect(names).toEqual(["site"]);
  const exited = new Promise<number | null>((done) => child?.on("close", (code) => done(code)));
  child.kill("SIGTERM");
  expect(await exited).toBe(0);
  child = null;
}, 120_000);
