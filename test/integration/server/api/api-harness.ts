/**
 * The REST API on a real local configuration repository (real git, real status store, the real
 * branch writer), served over HTTPS with a certificate made by openssl, with a writer's and a
 * reader's token. Status records are written to `cfs-status` with the real status store.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import type { JwtConfig } from "../../../../src/cli/api-auth.js";
import type { SessionRecord } from "../../../../src/api/index.js";
import { startApi, type RunningApi } from "../../../../src/cli/api-service.js";
import { createLocalSource } from "../../../../src/git/local-source.js";
import { createStatusStore } from "../../../../src/git/status-store.js";
import type { ConfigSource } from "../../../../src/git/types.js";
import { stableJson, statusCommitMessage } from "../../../../src/plan/index.js";
import { callApi, type ApiAnswer, type ApiCall } from "../../../helpers/api-client.js";
import { ConfigRepo, tempDir } from "../../../helpers/config-repo.js";
import { writeKubePki, type KubePki } from "../../../helpers/kube-pki.js";

/** Tokens of the harness (at least 16 characters, as the tokens file wants). */
export const TOKENS = {
  writer: "w-0123456789abcdef-writer",
  reader: "r-0123456789abcdef-reader",
} as const;

/** The seed configuration: two layers pinned to commits (no clone needed to validate). */
export const SITE_CONFIG = `apiVersion: cfs-gitops/v1
kind: Configuration
name: site
layers:
  - name: base
    clone_url: https://git.example.org/site/base.git
    commit: aaaa111111111111111111111111111111111111
    playbook: site.yml
`;

/** A running API on a fresh repository. */
export interface ApiHarness {
  dir: string;
  repo: ConfigRepo;
  pki: KubePki | null;
  tokensFile: string;
  api: RunningApi;
  /** `https://127.0.0.1:<port>` (http with `insecure`). */
  url: string;
  /** A call as the writer (override `token` to be someone else). */
  call(input: Omit<ApiCall, "url">): Promise<ApiAnswer>;
  /** Commits status files (records as objects) with the real status store. */
  writeStatus(files: Record<string, SessionRecord | string | null>, now?: Date): Promise<void>;
  close(): Promise<void>;
}

/** Options of startApiHarness. */
export interface ApiHarnessOptions {
  files?: Record<string, string>;
  insecure?: boolean;
  now?: () => Date;
  /** Use this source instead of opening one (e.g. a running controller's). */
  source?: ConfigSource & { readonly gitDir: string };
  repoDir?: string;
  /** `--api-write-rate` (default: unlimited here). */
  writeRate?: number;
  /** `--api-branch`. */
  reviewBranch?: string;
  /** The default `limit` of lists. */
  pageSize?: number;
  /** `--api-jwks-file` and its policy: JWTs accepted besides the tokens. */
  jwt?: JwtConfig;
  /** The API's logger (default: silent, or TEST_LOG_LEVEL). */
  log?: Logger;
}

/** Starts the API over a repository holding `site` (and `files`). */
export async function startApiHarness(options: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const tmp = tempDir("cfs-api-");
  const repo = new ConfigRepo(options.repoDir ?? join(tmp.path, "config"));
  if (options.repoDir === undefined)
    repo.commit({ "configurations/site.yaml": SITE_CONFIG, ...options.files }, "seed");
  const pki = options.insecure ? null : await writeKubePki(tmp.path);
  const tokensFile = join(tmp.path, "tokens");
  writeFileSync(tokensFile, `# test tokens\n${TOKENS.writer} write alice\n${TOKENS.reader} read bob\n`);
  const log = options.log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const owned = options.source === undefined;
  const source = options.source ?? (await createLocalSource({ path: repo.path, branch: "main", log }));
  const api = await startApi({
    api: {
      listen: { host: "127.0.0.1", port: 0 },
      tls: pki === null ? null : { certFile: pki.servingCertPath, keyFile: pki.servingKeyPath },
      tokensFile,
      jwt: options.jwt ?? null,
      prefix: "/apis/cfs",
      reviewBranch: options.reviewBranch ?? null,
      writeRate: options.writeRate ?? null,
    },
    repo: {
      repo: repo.path,
      kind: "local",
      branch: "main",
      statusBranch: "cfs-status",
      dataDir: join(tmp.path, "data"),
      credentials: null,
    },
    source,
    gitDir: source.gitDir,
    log,
    ...(options.now ? { now: options.now } : {}),
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
  }).catch(async (error: unknown) => {
    if (owned) await source.close();
    tmp.cleanup();
    throw error;
  });
  const url = api.server.url;
  return {
    dir: tmp.path,
    repo,
    pki,
    tokensFile,
    api,
    url,
    call: (input) => callApi({ token: TOKENS.writer, ...input, url }),
    writeStatus: (files, now) => writeStatus({ gitDir: source.gitDir, files, now: now ?? new Date() }),
    close: async () => {
      await api.close();
      if (owned) await source.close();
      tmp.cleanup();
    },
  };
}

async function writeStatus(input: {
  gitDir: string;
  files: Record<string, SessionRecord | string | null>;
  now: Date;
}): Promise<void> {
  const store = await createStatusStore({
    gitDir: input.gitDir,
    branch: "cfs-status",
    log: pino({ level: "silent" }),
  });
  try {
    const changes = new Map(
      Object.entries(input.files).map(([path, value]) => [
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
