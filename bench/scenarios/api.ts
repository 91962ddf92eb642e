/**
 * The REST API (issue 12) on a copy of the big repository (10,000 sessions with records), served
 * in this process over plain HTTP on 127.0.0.1 (TLS left out: it costs the same whatever the
 * server does) with a keep-alive client: a list of the sessions, one session, one create after
 * another, and 100 creates sent at once by 10 callers. Baselines: the git CLI reading the same
 * records, or making the same commits one by one.
 */
import { writeFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { join } from "node:path";
import pino from "pino";
import { startApi, type RunningApi } from "../../src/cli/api-service.js";
import { createLocalSource } from "../../src/git/local-source.js";
import type { BenchContext } from "../lib/context.js";
import { configurationName, sessionName } from "../lib/generate.js";
import { commitFiles, git, timed } from "../lib/git.js";
import { count, measured, type Row } from "../lib/report.js";

const CALLERS = 10;
const PARALLEL = 100;
/** The controller's default `--api-write-rate` (a second per caller, bursts of 5x). */
const WRITE_RATE = 10;

/** A running API and how to call it. */
interface BenchApi {
  gitDir: string;
  tokens: string[];
  call(input: { method?: string; path: string; token: string; body?: unknown }): Promise<Answer>;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: string;
}

/** Rows: list, get one, create, 100 parallel creates. */
export async function apiRows(ctx: BenchContext): Promise<Row[]> {
  const repo = await ctx.copyOfBig("api");
  const sessions = repo.shape.sessions;
  const api = await startBenchApi(ctx, repo.gitDir);
  try {
    const list = await measureList(ctx, api);
    const one = await measureOne(ctx, api, sessionName(Math.floor(sessions / 2)));
    const create = await measureCreates(ctx, api);
    const parallel = await measureParallel(ctx, api);
    return rows({ sessions, list, one, create, parallel });
  } finally {
    await api.close();
  }
}

async function startBenchApi(ctx: BenchContext, gitDir: string): Promise<BenchApi> {
  const log = pino({ level: "silent" });
  const tokens = Array.from({ length: CALLERS + 1 }, (_, i) => `bench-token-${i}-0123456789abcdef`);
  const tokensFile = join(ctx.options.dataDir, "api-tokens");
  await writeFile(tokensFile, tokens.map((t, i) => `${t} write caller-${i}\n`).join(""));
  const source = await createLocalSource({ path: gitDir, branch: "main", log });
  let running: RunningApi;
  try {
    running = await startApi({
      api: {
        listen: { host: "127.0.0.1", port: 0 },
        tls: null,
        tokensFile,
        prefix: "/apis/cfs",
        reviewBranch: null,
        writeRate: WRITE_RATE,
      },
      repo: {
        repo: gitDir,
        kind: "local",
        branch: "main",
        statusBranch: "cfs-status",
        dataDir: ctx.options.dataDir,
        credentials: null,
      },
      source,
      gitDir: source.gitDir,
      log,
    });
  } catch (error) {
    await source.close();
    throw error;
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 2 * CALLERS });
  const url = new URL(running.server.url);
  return {
    gitDir,
    tokens,
    call: (input) => send({ agent, url, ...input }),
    close: async () => {
      agent.destroy();
      await running.close();
      await source.close();
    },
  };
}

function send(input: {
  agent: Agent;
  url: URL;
  method?: string;
  path: string;
  token: string;
  body?: unknown;
}): Promise<Answer> {
  const payload = input.body === undefined ? undefined : JSON.stringify(input.body);
  const headers: Record<string, string> = {
    authorization: `Bearer ${input.token}`,
    accept: "application/json",
  };
  if (payload !== undefined) headers["content-type"] = "application/json";
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(input.path, input.url),
      { method: input.method ?? "GET", headers, agent: input.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

async function expectStatus(answer: Promise<Answer>, status: number): Promise<Answer> {
  const got = await answer;
  if (got.status !== status)
    throw new Error(`expected ${status}, got ${got.status}: ${got.body.slice(0, 300)}`);
  return got;
}

interface Measured {
  ours: number[];
  baseline: number[];
  detail?: string;
}

async function measureList(ctx: BenchContext, api: BenchApi): Promise<Measured & { page: number }> {
  ctx.progress("api: GET /v3/sessions");
  const token = api.tokens[0] ?? "";
  const first = await expectStatus(api.call({ path: "/v3/sessions", token }), 200);
  const page = (JSON.parse(first.body) as { sessions: unknown[] }).sessions.length;
  const ours: number[] = [];
  const baseline: number[] = [];
  for (let run = 0; run < ctx.runs(20); run++) {
    ours.push(await timed(() => expectStatus(api.call({ path: "/v3/sessions", token }), 200)));
    baseline.push(await timed(() => readRecordsWithGitCli(api.gitDir)));
  }
  return { ours, baseline, page };
}

/** The git CLI reading every session record of cfs-status: list them, read the blobs. */
async function readRecordsWithGitCli(gitDir: string): Promise<void> {
  const listing = await git(["ls-tree", "-z", "cfs-status", "sessions/"], { gitDir });
  const oids = listing
    .toString("utf8")
    .split("\0")
    .filter((entry) => entry.endsWith(".json"))
    .map((entry) => entry.split(/\s/)[2] ?? "");
  await git(["cat-file", "--batch"], { gitDir, stdin: `${oids.join("\n")}\n` });
}

async function measureOne(ctx: BenchContext, api: BenchApi, name: string): Promise<Measured> {
  ctx.progress("api: GET /v3/sessions/{name}");
  const token = api.tokens[0] ?? "";
  const ours: number[] = [];
  const baseline: number[] = [];
  await expectStatus(api.call({ path: `/v3/sessions/${name}`, token }), 200);
  for (let run = 0; run < ctx.runs(30); run++) {
    ours.push(await timed(() => expectStatus(api.call({ path: `/v3/sessions/${name}`, token }), 200)));
    baseline.push(
      await timed(() => git(["cat-file", "-p", `cfs-status:sessions/${name}.json`], { gitDir: api.gitDir })),
    );
  }
  return { ours, baseline };
}

function createBody(name: string): unknown {
  return {
    name,
    configuration_name: configurationName(0),
    target: { definition: "dynamic", groups: [], image_map: [] },
  };
}

/** One create after another by one caller; baseline: the git CLI committing one such file each time. */
async function measureCreates(ctx: BenchContext, api: BenchApi): Promise<Measured> {
  ctx.progress("api: POST /v3/sessions, one after another");
  const token = api.tokens[CALLERS] ?? "";
  const ours: number[] = [];
  const baseline: number[] = [];
  for (let run = 0; run < ctx.runs(15); run++) {
    const name = `api-one-${run}`;
    ours.push(
      await timed(() =>
        expectStatus(api.call({ method: "POST", path: "/v3/sessions", token, body: createBody(name) }), 201),
      ),
    );
    baseline.push(await timed(() => commitOneWithGitCli(api.gitDir, `git-one-${run}`)));
  }
  return { ours, baseline };
}

/** What the git CLI needs at least to add one session file: one fast-import commit on a scratch branch. */
async function commitOneWithGitCli(gitDir: string, name: string): Promise<void> {
  const files = new Map([[`sessions/${name}.yaml`, `name: ${name}\n`]]);
  await commitFiles({ gitDir, branch: "bench-api-baseline", files, message: `Add session ${name}` });
}

/** 100 creates at once from 10 callers; baseline: the git CLI making the 100 commits one after another. */
async function measureParallel(ctx: BenchContext, api: BenchApi): Promise<Measured> {
  const ours: number[] = [];
  const baseline: number[] = [];
  const commits: number[] = [];
  for (let run = 0; run < ctx.runs(3); run++) {
    ctx.progress(`api: ${PARALLEL} parallel creates from ${CALLERS} callers, run ${run + 1}`);
    const before = (await git(["rev-parse", "main"], { gitDir: api.gitDir })).toString().trim();
    ours.push(await timed(() => parallelCreates(api, run)));
    const made = await git(["rev-list", "--count", `${before}..main`], { gitDir: api.gitDir });
    commits.push(Number(made.toString().trim()));
    baseline.push(
      await timed(async () => {
        for (let i = 0; i < PARALLEL; i++) await commitOneWithGitCli(api.gitDir, `git-par-${run}-${i}`);
      }),
    );
    await sleep(1_000 * (PARALLEL / CALLERS / WRITE_RATE)); // the callers' write rate refills
  }
  return { ours, baseline, detail: `${commits.join(", ")} commits` };
}

async function parallelCreates(api: BenchApi, run: number): Promise<void> {
  const calls = Array.from({ length: PARALLEL }, (_, i) => {
    const token = api.tokens[i % CALLERS] ?? "";
    const name = `api-par-${run}-${i}`;
    return expectStatus(
      api.call({ method: "POST", path: "/v3/sessions", token, body: createBody(name) }),
      201,
    );
  });
  await Promise.all(calls);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function rows(input: {
  sessions: number;
  list: Measured & { page: number };
  one: Measured;
  create: Measured;
  parallel: Measured;
}): Row[] {
  const { sessions, list, one, create, parallel } = input;
  const n = count(sessions);
  return [
    {
      scenario: `REST API: \`GET /v3/sessions\` of ${n} sessions (first page: ${count(list.page)}, CFS's default page size)`,
      target: "p50 < 50 ms",
      limit: 50,
      figure: measured(list.ours),
      baseline: {
        label: `\`git ls-tree\` + \`git cat-file --batch\` of the ${n} session records`,
        figure: measured(list.baseline),
      },
      note: "Request to answer read over keep-alive HTTP on 127.0.0.1: the status branch's tip checked, the records and the watched branch's manifests (kept by blob and commit since the first request) matched, filtered, sorted, paged and serialized.",
    },
    {
      scenario: `REST API: \`GET /v3/sessions/{name}\` (${n} sessions)`,
      target: "p50 < 5 ms",
      limit: 5,
      figure: measured(one.ours),
      baseline: {
        label: "`git cat-file -p cfs-status:sessions/<name>.json`",
        figure: measured(one.baseline),
      },
    },
    {
      scenario: `REST API: \`POST /v3/sessions\` to 201, local repository (${n} sessions), one after another`,
      target: "p50 < 150 ms",
      limit: 150,
      figure: measured(create.ours),
      baseline: {
        label: "one `git fast-import` commit of one session file",
        figure: measured(create.baseline),
      },
      note: "Checked as the CLI checks it (status branch, the tree with the new file laid over it), committed as the caller with the branch writer (compare-and-swap of main), the pending record answered.",
    },
    {
      scenario: `REST API: ${PARALLEL} parallel creates from ${CALLERS} callers, to the last 201 (all 201)`,
      target: "< 5 s",
      limit: 5000,
      figure: measured(parallel.ours),
      baseline: {
        label: `${PARALLEL} \`git fast-import\` commits of one session file, one after another`,
        figure: measured(parallel.baseline),
      },
      note: `The creates that wait while a write runs are committed together (authored by their caller, or by the API with a Cfs-Requested-By trailer per caller when several callers' creates share the commit): ${parallel.detail ?? ""} for the ${PARALLEL} creates of each run. Default write rate (${WRITE_RATE} a second per caller, bursts of ${5 * WRITE_RATE}).`,
    },
  ];
}
