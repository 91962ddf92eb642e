/**
 * Issue 10, point 1: the controller's secrets never reach a step. The real controller (the built
 * CLI, local runner) holds a git password, a webhook secret, an IMS token file and a forge token
 * file (issue 17: it reports the session's outcome to a stand-in forge) in its environment; a session's playbooks dump their own environment and the environment of the
 * ansible-playbook process that runs them, and a git hook dumps each git step's environment.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionRecord } from "../../src/api/index.js";
import {
  ConfigRepo,
  configurationYaml,
  git,
  makeLayerRepo,
  sessionYaml,
  tempDir,
} from "../helpers/config-repo.js";
import { startGitHttpServer, type GitHttpServer } from "../helpers/git-http-server.js";
import { basicAuthSecrets, describeHit, scanForSecrets } from "../helpers/scan-for-secrets.js";

const CLI = resolve("dist/src/cli/main.js");
const login = { username: "cfs-bot", password: "s3cret-Git-Pw-7781" };
const WEBHOOK_SECRET = "whsec-Qq91-never-in-a-step";
const IMS_TOKEN = "ims-tok-5531-never-in-a-step";
const VAULT_TOKEN = "site-vault-tok-never-in-a-step";
const FORGE_TOKEN = "forge-tok-6620-never-in-a-step";
const SITE_SETTING = "visible-site-value";

let dir: { path: string; cleanup: () => void };
const servers: GitHttpServer[] = [];

beforeEach(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  dir = tempDir("cfs-secrets-");
});

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  dir.cleanup();
});

/** A playbook that prints (and appends to `dump`) its environment and the ansible-playbook process's. */
function envDumpPlaybook(dump: string): string {
  const script = [
    "echo '=== task environment'",
    "env",
    // The step's process group leader is the local runner's launch wrapper (sh); ansible-playbook is its child.
    "pg=$(awk '{print $5}' /proc/$$/stat)",
    'ap=$pg; for p in /proc/[0-9]*; do [ "$(awk \'{print $4}\' $p/stat 2>/dev/null)" = "$pg" ] && ap=${p#/proc/}; done',
    "echo \"=== ansible-playbook (pid $ap): $(tr '\\0' ' ' < /proc/$ap/cmdline)\"",
    "tr '\\0' '\\n' < /proc/$ap/environ",
  ].join("\n");
  return [
    "- hosts: all",
    "  gather_facts: false",
    "  tasks:",
    "    - ansible.builtin.shell: |",
    ...`{\n${script}\n} | tee -a ${dump}`.split("\n").map((line) => `        ${line}`),
    "      register: dumped",
    "    - ansible.builtin.debug:",
    "        var: dumped.stdout_lines",
    "",
  ].join("\n");
}

/** A HOME whose git template holds a post-checkout hook that appends git's environment to `dump`. */
function homeWithGitHook(home: string, dump: string): void {
  const hooks = join(home, "git-template", "hooks");
  mkdirSync(hooks, { recursive: true });
  writeFileSync(join(hooks, "post-checkout"), `#!/bin/sh\n{ echo "=== $PWD"; env; } >> ${dump}\n`);
  chmodSync(join(hooks, "post-checkout"), 0o755);
  writeFileSync(join(home, ".gitconfig"), `[init]\n\ttemplateDir = ${join(home, "git-template")}\n`);
}

/** Runs `controller --once` as a child process; resolves with its exit code and output. */
function runController(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, "controller", ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`controller --once did not exit within 150 s:\n${output}`));
    }, 150_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

/** A forge stand-in that accepts every call (201) and records it. */
async function recordingForge(): Promise<{
  url: string;
  calls: { method: string; path: string; authorization: string; body: string }[];
  close: () => Promise<void>;
}> {
  const calls: { method: string; path: string; authorization: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      const authorization = req.headers.authorization ?? "";
      calls.push({ method: req.method ?? "", path: req.url ?? "", authorization, body });
      res.writeHead(201, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, calls, close: () => new Promise((r) => server.close(() => r())) };
}

/** `=== <title>` sections of a dump, each with its lines. */
function sections(text: string): Array<{ title: string; lines: string[] }> {
  const out: Array<{ title: string; lines: string[] }> = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("=== ")) out.push({ title: line.slice(4), lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

describe("the secrets of a controller with a remote repository", () => {
  it("reach no step: not the playbook, not ansible-playbook, not git beyond its own scoped header", async () => {
    const served = join(dir.path, "served");
    const open = join(dir.path, "open");
    const authed = await startGitHttpServer({ root: served, auth: login });
    const other = await startGitHttpServer({ root: open });
    servers.push(authed, other);
    const dumps = join(dir.path, "dumps");
    mkdirSync(dumps);
    makeLayerRepo(served, "private", { "site.yml": envDumpPlaybook(join(dumps, "ansible-0.txt")) });
    makeLayerRepo(open, "public", { "site.yml": envDumpPlaybook(join(dumps, "ansible-1.txt")) });
    const privateUrl = authed.url("layers/private.git");
    const publicUrl = other.url("layers/public.git");

    const bare = join(served, "config.git");
    git(dir.path, ["init", "-q", "--bare", "-b", "main", bare]);
    const work = new ConfigRepo(join(dir.path, "work"));
    work.commit({
      "configurations/c.yaml": configurationYaml("c", [
        { name: "private", url: privateUrl },
        { name: "public", url: publicUrl },
      ]),
      "sessions/one.yaml": sessionYaml("one", "c"),
    });
    git(work.path, ["push", "-q", bare, "main"]);

    const home = join(dir.path, "home");
    const gitDump = join(dir.path, "git-steps.txt");
    homeWithGitHook(home, gitDump);
    const tokenFile = join(dir.path, "ims-token");
    writeFileSync(tokenFile, `${IMS_TOKEN}\n`);
    const forgeTokenFile = join(dir.path, "forge-token");
    writeFileSync(forgeTokenFile, `${FORGE_TOKEN}\n`);
    const forge = await recordingForge();
    const dataDir = join(dir.path, "data");
    const run = await runController(
      [
        "--repo",
        authed.url("config.git"),
        "--data-dir",
        dataDir,
        "--once",
        "--log-level",
        "debug",
        "--image-service",
        "ims",
        "--ims-url",
        "http://127.0.0.1:9/apis/ims",
      ],
      {
        PATH: process.env["PATH"] ?? "",
        HOME: home,
        ...(process.env["LANG"] === undefined ? {} : { LANG: process.env["LANG"] }),
        CFS_GITOPS_GIT_USERNAME: login.username,
        CFS_GITOPS_GIT_PASSWORD: login.password,
        CFS_GITOPS_WEBHOOK_SECRET: WEBHOOK_SECRET,
        CFS_GITOPS_IMS_TOKEN_FILE: tokenFile,
        CFS_GITOPS_FORGE: "github",
        CFS_GITOPS_FORGE_URL: forge.url,
        CFS_GITOPS_FORGE_REPO: "site/config",
        CFS_GITOPS_FORGE_TOKEN_FILE: forgeTokenFile,
        CFS_GITOPS_STEP_ENV: "SITE_SETTING",
        SITE_SETTING,
        SITE_VAULT_TOKEN: VAULT_TOKEN,
      },
    );
    await forge.close();
    expect(run.code, run.output).toBe(0);
    const record = JSON.parse(git(bare, ["show", "cfs-status:sessions/one.json"])) as SessionRecord;
    expect(record.status.session, run.output).toMatchObject({ status: "complete", succeeded: "true" });

    // The dumps happened, came from ansible-playbook itself, and reached the committed log.
    for (const [index, url] of [privateUrl, publicUrl].entries()) {
      const parts = sections(readFileSync(join(dumps, `ansible-${index}.txt`), "utf8"));
      expect(parts.map((part) => part.title.split(":")[0])).toEqual([
        "task environment",
        expect.stringMatching(/^ansible-playbook \(pid \d+\)$/),
      ]);
      expect(parts[1]?.title).toMatch(/ansible-playbook .*layer\d\/site\.yml/);
      for (const part of parts) {
        expect(part.lines).toEqual(
          expect.arrayContaining([
            "SESSION_NAME=one",
            `SESSION_CLONE_URL=${url}`,
            "SESSION_PLAYBOOK=site.yml",
            `LAYER_CURRENT=${index}`,
            "INVENTORY_TYPE=spec",
            `SITE_SETTING=${SITE_SETTING}`,
            `HOME=${home}`,
          ]),
        );
        const names = part.lines.map((line) => line.split("=")[0] ?? "");
        expect(names.filter((name) => /^(CFS_GITOPS_|GIT_CONFIG_|SITE_VAULT)/.test(name))).toEqual([]);
      }
    }
    expect(git(bare, ["show", "cfs-status:logs/one/ansible-0.log"])).toContain("SESSION_NAME=one");

    // git: the private layer's clone got the header scoped to its URL, the public one got none.
    const gitParts = sections(readFileSync(gitDump, "utf8")).filter((part) => /\/layer\d$/.test(part.title));
    expect(gitParts.map((part) => part.title.slice(-6))).toEqual(["layer0", "layer1"]);
    const [privateGit, publicGit] = gitParts.map((part) => part.lines.join("\n"));
    expect(privateGit).toMatch(
      new RegExp(`^GIT_CONFIG_KEY_\\d=http\\.${privateUrl.replace(/\./g, "\\.")}\\.extraHeader$`, "m"),
    );
    expect(privateGit).not.toMatch(/^GIT_CONFIG_KEY_\d=http\.extraHeader$/m);
    expect(publicGit).not.toContain("extraHeader");
    for (const text of [privateGit, publicGit]) expect(text).not.toMatch(/^CFS_GITOPS_/m);

    // The private layer's git step holds the Basic header it needs, only in GIT_CONFIG_VALUE_n.
    const header = Buffer.from(`${login.username}:${login.password}`).toString("base64");
    expect(privateGit).toMatch(
      new RegExp(`^GIT_CONFIG_VALUE_\\d=Authorization: Basic ${header.replace(/\+/g, "\\+")}$`, "m"),
    );

    // The forge heard the session's outcome on its commit, the token only in the Authorization header.
    const outcome = forge.calls.at(-1);
    expect(outcome?.path).toBe(`/repos/site/config/statuses/${record.status.source.commit}`);
    expect(JSON.parse(outcome?.body ?? "{}")).toEqual({
      state: "success",
      context: "cfs-gitops/sessions",
      description: "1 session succeeded",
    });
    expect(forge.calls.map((call) => call.authorization)).toEqual(
      forge.calls.map(() => `Bearer ${FORGE_TOKEN}`),
    );

    const others = {
      "forge token": FORGE_TOKEN,
      "webhook secret": WEBHOOK_SECRET,
      "IMS token": IMS_TOKEN,
      "site vault token": VAULT_TOKEN,
    };
    const hits = scanForSecrets({
      secrets: { ...basicAuthSecrets("git password", login), ...others },
      repoDir: bare,
      logText: run.output,
      dirs: [dataDir, dumps],
      texts: { "git step of the public layer": publicGit ?? "", record: JSON.stringify(record) },
    });
    expect(hits.map(describeHit)).toEqual([]);
    expect(
      scanForSecrets({ secrets: others, texts: { "git steps": readFileSync(gitDump, "utf8") } }),
    ).toEqual([]);
  });
});
