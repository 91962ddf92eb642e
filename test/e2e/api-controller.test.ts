/**
 * `cfs-gitops controller --api-listen ...` as a process (the built CLI): the API comes up over
 * HTTPS beside the loop, a session created through it runs (real ansible-playbook), `/readyz`
 * includes the API's listener, the token never reaches the log, and SIGTERM stops both. Needs
 * `npm run build`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { callApi, type ApiAnswer } from "../helpers/api-client.js";
import { ConfigRepo, configurationYaml, makeLayerRepo, playbook, tempDir } from "../helpers/config-repo.js";
import { writeKubePki } from "../helpers/kube-pki.js";

const CLI = resolve("dist/src/cli/main.js");
const TOKEN = "controller-api-token-0123456789";

let dir: { path: string; cleanup: () => void };
let child: ChildProcess | null = null;
let output = "";

beforeAll(() => {
  dir = tempDir("cfs-e2e-api-ctl-");
});

afterAll(() => {
  child?.kill("SIGKILL");
  dir?.cleanup();
});

/** Waits for the controller's `api listening` and `http server listening` lines: the bound ports. */
function ports(process: ChildProcess): Promise<{ api: number; http: number }> {
  return new Promise((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`no "api listening" and "http server listening" lines within 60 s:\n${output}`)),
      60_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      const api = /"listen":"127\.0\.0\.1:(\d+)","scheme":"https","msg":"api listening"/.exec(output);
      const http = /"listen":"127\.0\.0\.1:(\d+)","msg":"http server listening"/.exec(output);
      if (!api || !http) return;
      clearTimeout(timer);
      done({ api: Number(api[1]), http: Number(http[1]) });
    };
    process.stderr?.on("data", onData);
    process.stdout?.on("data", onData);
    process.on("close", (code) =>
      fail(new Error(`controller exited (${code}) before the API listened:\n${output}`)),
    );
  });
}

it("serves the API inside the controller process; a session created through it runs; SIGTERM stops it", async () => {
  const marks = join(dir.path, "marks.txt");
  const layer = makeLayerRepo(dir.path, "ok", { "site.yml": playbook({ file: marks, line: "via-api" }) });
  const repo = new ConfigRepo(join(dir.path, "config"));
  repo.commit({ "configurations/site.yaml": configurationYaml("site", [{ name: "base", url: layer }]) });
  const pki = await writeKubePki(dir.path);
  const tokens = join(dir.path, "tokens");
  writeFileSync(tokens, `${TOKEN} write ops-script\n`);
  child = spawn(
    process.execPath,
    [
      CLI,
      "controller",
      "--repo",
      repo.path,
      "--data-dir",
      join(dir.path, "data"),
      "--listen",
      "127.0.0.1:0",
      "--api-listen",
      "127.0.0.1:0",
      "--api-cert",
      pki.servingCertPath,
      "--api-key",
      pki.servingKeyPath,
      "--api-tokens-file",
      tokens,
    ],
    { env: { PATH: process.env.PATH ?? "", HOME: dir.path }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const port = await ports(child);
  const url = `https://127.0.0.1:${port.api}`;
  const cray = (method: string, path: string, body?: unknown): Promise<ApiAnswer> =>
    callApi({ url, method, path: `/apis/cfs/v3${path}`, token: TOKEN, body });
  const created = await cray("POST", "/sessions", {
    name: "via-api",
    configuration_name: "site",
    target: { definition: "spec", groups: [{ name: "test", members: ["localhost"] }], image_map: [] },
  });
  expect(created.status, created.text).toBe(201);
  const deadline = Date.now() + 120_000;
  let state: ApiAnswer = created;
  while (state.json?.status?.session?.status !== "complete" && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    state = await cray("GET", "/sessions/via-api");
  }
  expect(state.json.status.session.succeeded, output).toBe("true");
  expect((await cray("GET", "/sessions?succeeded=true")).json.sessions).toHaveLength(1);
  const ready = await callApi({ url: `http://127.0.0.1:${port.http}`, path: "/readyz" });
  expect(ready.text.split("\n")).toContain(
    `[+]api ok: serving https on 127.0.0.1:${port.api} with 1 token(s)`,
  );
  expect(ready.status, ready.text).toBe(200);
  const exited = new Promise<number | null>((done) => child?.on("close", (code) => done(code)));
  child.kill("SIGTERM");
  expect(await exited).toBe(0);
  child = null;
  expect(output).not.toContain(TOKEN);
}, 180_000);
