/**
 * The CLI against a real remote: a bare configuration repository served over HTTP by `git
 * http-backend` behind basic auth, a status branch written with the real status store, and the
 * CLI run in-process through `runCli` with captured streams, a fixed clock and a test sleep.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { jobName, type SessionRecord, type SessionStatus, type Succeeded } from "../../../src/api/index.js";
import type { CliIo } from "../../../src/cli/io.js";
import { runCli } from "../../../src/cli/run-cli.js";
import { hashBlob } from "../../../src/git/fast-import.js";
import { createStatusStore } from "../../../src/git/status-store.js";
import { newSessionRecord, stableJson, statusCommitMessage } from "../../../src/plan/index.js";
import { git, makeTempDir, removeTempDir } from "../../helpers/git-fixture.js";
import { startGitHttpServer, type GitHttpServer } from "../../helpers/git-http-server.js";

/** The fixed "now" of CLI runs. */
export const NOW = new Date("2026-11-21T12:00:00Z");
/** Credentials the server requires. */
export const CREDENTIALS = { username: "cfs-cli", password: "s3cret-Pw-42" };

/** What one CLI run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of one CLI run. */
export interface RunOptions {
  env?: Record<string, string>;
  tty?: boolean;
  /** Lines typed at the terminal (for confirmations). */
  input?: string[];
  /** Called on each sleep of the command (instead of waiting). */
  onSleep?: (count: number) => Promise<void> | void;
  now?: () => Date;
  cwd?: string;
  /** Run on the real clock: `now` is the time of day and each sleep really waits. */
  realTime?: boolean;
  /** Environment variables to leave out. */
  unset?: string[];
}

/** A served configuration repository and helpers to run the CLI on it. */
export interface CliRepo {
  dir: string;
  server: GitHttpServer;
  /** Path of the bare repository the server serves. */
  bare: string;
  url: string;
  /** A work tree clone for "other people's" commits. */
  work: string;
  run(argv: string[], options?: RunOptions): Promise<CliResult>;
  /** Commit files in the work tree and push them to `branch` (a second writer). */
  push(files: Record<string, string | null>, input?: { message?: string; branch?: string }): Promise<string>;
  /** Write status records (and other status files) straight to the served repository's status branch. */
  writeStatus(files: Record<string, unknown>, now?: Date): Promise<void>;
  /** `git` in the bare repository. */
  git(args: string[]): Promise<string>;
  close(): Promise<void>;
}

/** The configuration the seed repository holds. */
export const SITE_CONFIG = `apiVersion: cfs-gitops/v1
kind: Configuration
name: site
layers:
  - name: base
    clone_url: https://git.example.org/site/base.git
    commit: aaaa111111111111111111111111111111111111
    playbook: site.yml
  - name: app
    clone_url: https://git.example.org/site/app.git
    commit: bbbb222222222222222222222222222222222222
    playbook: site.yml
`;

/** Starts a server with a seeded configuration repository (`site` configuration, one component). */
export async function startCliRepo(seed: Record<string, string> = {}): Promise<CliRepo> {
  const dir = await makeTempDir("cfs-cli-");
  const root = join(dir, "served");
  const bare = join(root, "config.git");
  const work = join(dir, "work");
  mkdirSync(root, { recursive: true });
  await git(["init", "--quiet", "--bare", "--initial-branch=main", bare]);
  await git(["init", "--quiet", "--initial-branch=main", work]);
  const files = {
    "configurations/site.yaml": SITE_CONFIG,
    "components/x1000c0s0b0n0.yaml":
      "apiVersion: cfs-gitops/v1\nkind: Component\nid: x1000c0s0b0n0\ndesired_config: site\n",
    ...seed,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(work, path, ".."), { recursive: true });
    writeFileSync(join(work, path), text);
  }
  await git(["-C", work, "add", "-A"]);
  await git(["-C", work, "commit", "--quiet", "-m", "seed"]);
  await git(["-C", work, "push", "--quiet", bare, "main"]);
  const server = await startGitHttpServer({ root, auth: CREDENTIALS });
  const url = server.url("config.git");
  const home = join(dir, "home");
  mkdirSync(home, { recursive: true });
  const repo: CliRepo = {
    dir,
    server,
    bare,
    url,
    work,
    run: (argv, options = {}) => runIn({ argv, options, url, dir, home }),
    push: (changes, input = {}) => pushFrom({ work, bare, changes, ...input }),
    writeStatus: (changes, now) => writeStatusFiles({ bare, changes, now: now ?? NOW }),
    git: (args) => git([`--git-dir=${bare}`, ...args]),
    close: async () => {
      await server.close();
      await removeTempDir(dir);
    },
  };
  return repo;
}

/** Runs the CLI in-process on repository `url` (a URL or a path), with data under `dir`. */
export async function runIn(input: {
  argv: string[];
  options: RunOptions;
  url: string;
  dir: string;
  home: string;
}): Promise<CliResult> {
  const { options } = input;
  let stdout = "";
  let stderr = "";
  let sleeps = 0;
  const lines = [...(options.input ?? [])];
  const io: CliIo = {
    stdout: { write: (text) => void (stdout += text), isTTY: options.tty ?? false },
    stderr: { write: (text) => void (stderr += text), isTTY: options.tty ?? false },
    stdin: { isTTY: options.tty ?? false, readLine: () => Promise.resolve(lines.shift() ?? null) },
    env: withoutKeys(options.unset ?? [], {
      HOME: input.home,
      PATH: process.env["PATH"],
      CFS_GITOPS_REPO: input.url,
      CFS_GITOPS_DATA_DIR: join(input.dir, "data"),
      CFS_GITOPS_GIT_USERNAME: CREDENTIALS.username,
      CFS_GITOPS_GIT_PASSWORD: CREDENTIALS.password,
      GIT_AUTHOR_NAME: "Jane Operator",
      GIT_AUTHOR_EMAIL: "jane@example.org",
      // Tests change the served repository between commands: every command asks the remote.
      CFS_GITOPS_FETCH_REUSE: "0",
      ...options.env,
    }),
    cwd: options.cwd ?? input.dir,
    now: options.now ?? (options.realTime ? () => new Date() : () => NOW),
    sleep: async (ms) => {
      sleeps += 1;
      if (sleeps > 600) throw new Error("the command slept 600 times: it would never end");
      if (options.realTime) await new Promise((resolve) => setTimeout(resolve, ms));
      await options.onSleep?.(sleeps);
    },
  };
  const code = await runCli(input.argv, io);
  return { code, stdout, stderr };
}

function withoutKeys(
  keys: string[],
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !keys.includes(key)));
}

async function pushFrom(input: {
  work: string;
  bare: string;
  changes: Record<string, string | null>;
  message?: string;
  branch?: string;
}): Promise<string> {
  const { work, bare } = input;
  const branch = input.branch ?? "main";
  await git(["-C", work, "fetch", "--quiet", bare, `+refs/heads/*:refs/remotes/origin/*`]);
  const exists = (await git(["-C", work, "branch", "-r", "--list", `origin/${branch}`])).trim() !== "";
  await git(["-C", work, "checkout", "--quiet", "-B", branch, exists ? `origin/${branch}` : "origin/main"]);
  for (const [path, text] of Object.entries(input.changes)) {
    if (text === null) await git(["-C", work, "rm", "--quiet", path]);
    else {
      mkdirSync(join(work, path, ".."), { recursive: true });
      writeFileSync(join(work, path), text);
      await git(["-C", work, "add", path]);
    }
  }
  await git(["-C", work, "commit", "--quiet", "-m", input.message ?? "a change by someone else"]);
  await git(["-C", work, "push", "--quiet", bare, `${branch}:${branch}`]);
  return (await git(["-C", work, "rev-parse", "HEAD"])).trim();
}

async function writeStatusFiles(input: {
  bare: string;
  changes: Record<string, unknown>;
  now: Date;
}): Promise<void> {
  const store = await createStatusStore({
    gitDir: input.bare,
    branch: "cfs-status",
    log: pino({ level: "silent" }),
  });
  try {
    const changes = new Map(
      Object.entries(input.changes).map(([path, value]) => [
        path,
        value === null ? null : Buffer.from(typeof value === "string" ? value : stableJson(value)),
      ]),
    );
    await store.commit({
      changes,
      now: input.now,
      message: (final) => statusCommitMessage({ changes: final, sourceCommit: null }),
    });
  } finally {
    await store.close();
  }
}

/** A session record as the controller writes it, in a given state. */
export function sessionRecord(input: {
  name: string;
  status: SessionStatus;
  succeeded?: Succeeded;
  start?: string | null;
  completion?: string | null;
  tags?: Record<string, string>;
  configuration?: string;
  text?: string;
}): SessionRecord {
  const text = input.text ?? `name: ${input.name}\n`;
  const blob = hashBlob(Buffer.from(text));
  const record = newSessionRecord({
    session: {
      apiVersion: "cfs-gitops/v1",
      kind: "Session",
      name: input.name,
      configuration: { name: input.configuration ?? "site" },
      ...(input.tags ? { tags: input.tags } : {}),
    },
    source: { path: `sessions/${input.name}.yaml`, commit: "0".repeat(40), blob },
    job: jobName(input.name, blob),
    options: null,
  });
  record.status.session.status = input.status;
  record.status.session.succeeded = input.succeeded ?? (input.status === "complete" ? "true" : "none");
  record.status.session.start_time = input.start === undefined ? null : input.start;
  record.status.session.completion_time = input.completion ?? null;
  return record;
}

/** The manifest text of a session named `name` on configuration `site` (spec target, localhost). */
export function sessionManifest(name: string, extra = ""): string {
  return `apiVersion: cfs-gitops/v1\nkind: Session\nname: ${name}\nconfiguration:\n  name: site\ntarget:\n  definition: spec\n  groups:\n    - name: test\n      members: [localhost]\n${extra}`;
}

/**
 * Installs a pre-receive hook that, on the first push to `main` only, moves `main` to `next` (as if
 * another writer had pushed first) and rejects the push: the CLI must notice, rebase and retry.
 */
export function raceOnFirstPush(input: { bare: string; next: string }): void {
  const hook = join(input.bare, "hooks", "pre-receive");
  const marker = join(input.bare, "raced");
  rmSync(marker, { force: true });
  writeFileSync(
    hook,
    `#!/bin/sh
if [ -e "${marker}" ]; then exit 0; fi
touch "${marker}"
env -u GIT_QUARANTINE_PATH git update-ref refs/heads/main ${input.next}
echo "someone else pushed first" >&2
exit 1
`,
  );
  chmodSync(hook, 0o755);
}
