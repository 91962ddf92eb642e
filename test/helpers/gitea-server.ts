/**
 * A real Gitea for one test file (built by test/forge/build.sh): headless on a free loopback port,
 * SQLite in a temporary folder, an admin user and an API token made by `gitea admin` before the
 * server starts. Webhooks may go to loopback addresses (the controller under test).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { freePort } from "./ims-jail-sshd.js";
import { REPO_ROOT } from "./reference-spec.js";

/** Where test/forge/build.sh puts the binary and its static folder. */
export const GITEA_BIN_DIR = join(REPO_ROOT, "test", "forge", "bin");

/** An answer of Gitea's API. */
export interface GiteaAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answer bodies freely
  json: any;
  /** The body as Gitea sent it (a recovered panic is plain text). */
  text: string;
}

/** A running Gitea. */
export interface GiteaServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `http://127.0.0.1:<port>/api/v1` */
  apiUrl: string;
  user: string;
  password: string;
  /** An access token of `user` with every scope. */
  token: string;
  /** Calls the API as `user` (token auth); throws on a status >= 400 unless `ok` lists it. */
  api(method: string, path: string, body?: unknown, ok?: number[]): Promise<GiteaAnswer>;
  /** The clone URL of `owner/name` (no credentials). */
  cloneUrl(repo: string): string;
  /** The clone URL with `user:token@` (for test pushes only). */
  pushUrl(repo: string): string;
  /** A new token of `user` with only these scopes (`write:repository`, `write:issue`, ...). */
  createToken(name: string, scopes: string[]): Promise<string>;
  /** What the server printed (for a failing test's message). */
  output(): string;
  stop(): Promise<void>;
}

const USER = "cfs-admin";
const PASSWORD = "gitea-Test-pass-1";

/** Starts a fresh Gitea under `root` (a temporary folder the caller removes). */
export async function startGitea(input: { root: string }): Promise<GiteaServer> {
  const gitea = giteaBinary();
  const port = await freePort();
  const config = writeAppIni({ root: input.root, port });
  const admin = (args: string[]): string =>
    execFileSync(gitea, [...args, "--config", config], {
      cwd: input.root,
      env: giteaEnv(input.root),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  admin(["migrate"]);
  admin(
    ["admin", "user", "create", "--admin", "--username", USER, "--password", PASSWORD].concat([
      "--email",
      "admin@cfs-gitops.invalid",
      "--must-change-password=false",
    ]),
  );
  const token = admin(
    ["admin", "user", "generate-access-token", "--username", USER].concat([
      "--token-name",
      "tests",
      "--scopes",
      "all",
      "--raw",
    ]),
  )
    .split("\n")
    .pop()!
    .trim();
  const chunks: string[] = [];
  const child = spawn(gitea, ["web", "--config", config], {
    cwd: input.root,
    env: giteaEnv(input.root),
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (data: Buffer) => chunks.push(data.toString("utf8")));
  child.stderr.on("data", (data: Buffer) => chunks.push(data.toString("utf8")));
  const url = `http://127.0.0.1:${port}`;
  await waitForVersion({ url, child, output: () => chunks.join("") });
  const api = apiClient(`${url}/api/v1`, token, () => chunks.join(""));
  return {
    url,
    apiUrl: `${url}/api/v1`,
    user: USER,
    password: PASSWORD,
    token,
    api,
    cloneUrl: (repo) => `${url}/${repo}.git`,
    pushUrl: (repo) => `http://${USER}:${token}@127.0.0.1:${port}/${repo}.git`,
    createToken: async (name, scopes) => {
      const basic = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
      const response = await fetch(`${url}/api/v1/users/${USER}/tokens`, {
        method: "POST",
        headers: { authorization: `Basic ${basic}`, "content-type": "application/json" },
        body: JSON.stringify({ name, scopes }),
      });
      const json = (await response.json()) as { sha1?: string };
      if (response.status !== 201 || !json.sha1) throw new Error(`gitea: token ${name}: ${response.status}`);
      return json.sha1;
    },
    output: () => chunks.join(""),
    stop: () => stopChild(child),
  };
}

function giteaBinary(): string {
  const binary = join(GITEA_BIN_DIR, "gitea");
  if (!existsSync(binary) || !existsSync(join(GITEA_BIN_DIR, "static", "templates"))) {
    throw new Error(
      `Gitea is missing in ${GITEA_BIN_DIR}. Run test/forge/build.sh (builds it from Go modules; ` +
        `needs Go >= 1.26.4, a few minutes on 2 cores the first time).`,
    );
  }
  return binary;
}

function giteaEnv(root: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: root,
    GITEA_WORK_DIR: root,
    USER: userInfo().username,
  };
}

/** The headless settings of ../shared/reference/gitea-test-server.md. */
function writeAppIni(input: { root: string; port: number }): string {
  const { root, port } = input;
  for (const dir of ["data", "repos", "log", "custom"]) mkdirSync(join(root, dir), { recursive: true });
  const ini = `APP_NAME = cfs-gitops tests
RUN_USER = ${userInfo().username}
RUN_MODE = prod
WORK_PATH = ${root}
I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = ${port}
DOMAIN = 127.0.0.1
ROOT_URL = http://127.0.0.1:${port}/
DISABLE_SSH = true
OFFLINE_MODE = true
LFS_START_SERVER = false
STATIC_ROOT_PATH = ${join(GITEA_BIN_DIR, "static")}
APP_DATA_PATH = ${join(root, "data")}

[database]
DB_TYPE = sqlite3
PATH = ${join(root, "data", "gitea.db")}

[repository]
ROOT = ${join(root, "repos")}
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = cfs-gitops-tests-secret-key-0123456789
INTERNAL_TOKEN = eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJuYmYiOjE3MDAwMDAwMDB9.cfs-gitops-tests-internal-token
PASSWORD_HASH_ALGO = pbkdf2$1000$16

[webhook]
ALLOWED_HOST_LIST = loopback
DELIVER_TIMEOUT = 10

[service]
DISABLE_REGISTRATION = true

[oauth2]
ENABLED = false

[mailer]
ENABLED = false

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[actions]
ENABLED = false

[packages]
ENABLED = false

[cron]
ENABLED = false

[log]
MODE = console
LEVEL = warn
ROOT_PATH = ${join(root, "log")}
`;
  const path = join(root, "custom", "app.ini");
  writeFileSync(path, ini);
  return path;
}

async function waitForVersion(input: {
  url: string;
  child: ChildProcess;
  output: () => string;
}): Promise<void> {
  const deadline = Date.now() + 60_000;
  const exited: { code: number | null } = { code: null };
  input.child.once("exit", (code) => (exited.code = code ?? -1));
  while (Date.now() < deadline) {
    if (exited.code !== null)
      throw new Error(`gitea web exited (${exited.code}) before answering:\n${input.output()}`);
    try {
      if ((await fetch(`${input.url}/api/v1/version`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  input.child.kill("SIGKILL");
  throw new Error(`gitea web did not answer /api/v1/version within 60 s:\n${input.output()}`);
}

function apiClient(apiUrl: string, token: string, output: () => string): GiteaServer["api"] {
  return async (method, path, body, ok = []) => {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      headers: {
        authorization: `token ${token}`,
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 400 && !ok.includes(response.status))
      throw new Error(
        `gitea ${method} ${path}: ${response.status} ${text.slice(0, 2000)}\n${output().slice(-4000)}`,
      );
    // Gitea answers a recovered panic with a plain-text 500 ("PANIC: runtime error ..."), not JSON.
    let json: unknown = null;
    if (text !== "") {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    return { status: response.status, json, text };
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
