/**
 * `--verify-commits`: verifying a range of 1,000 SSH-signed commits with the one `git log` the
 * controller runs, beside `git verify-commit` run once per commit; and what signing a status commit
 * (`--signing-key`) adds to writing it.
 */
import { join } from "node:path";
import { pino } from "pino";
import { signingFromKeyFile } from "../../src/git/sign-commit.js";
import { createStatusStore } from "../../src/git/status-store.js";
import type { StatusStore } from "../../src/git/types.js";
import {
  openCommitTrust,
  verifyCommits,
  verifyGitSettings,
  verifyWithGit,
} from "../../src/git/verify-commits.js";
import { makeSshKey, writeAllowedSigners, type SshKey } from "../../test/helpers/signing-keys.js";
import type { BenchContext } from "../lib/context.js";
import { git, timed } from "../lib/git.js";
import { count, measured, type Row } from "../lib/report.js";

const COMMITS = 1000;
const STATUS_COMMITS = 20;

/** Rows: verifying 1,000 commits; a signed status commit. */
export async function verifyCommitsRows(ctx: BenchContext): Promise<Row[]> {
  const dir = join(ctx.options.dataDir, "verify");
  const key = makeSshKey(dir, "signer");
  const allowedSigners = join(dir, "allowed_signers");
  writeAllowedSigners(allowedSigners, [{ principal: "signer@example.org", key }]);
  const gitDir = join(dir, "signed.git");
  await git(["init", "-q", "--bare", "-b", "main", gitDir]);
  ctx.progress(`verify: signing ${COMMITS} commits`);
  const { root, tip } = await makeSignedHistory({ gitDir, key, commits: COMMITS + 1 });
  return [
    await verifyRow({ ctx, gitDir, allowedSigners, root, tip }),
    await signedStatusRow({ ctx, dir, key }),
  ];
}

async function verifyRow(input: {
  ctx: BenchContext;
  gitDir: string;
  allowedSigners: string;
  root: string;
  tip: string;
}): Promise<Row> {
  const { ctx, gitDir, root, tip } = input;
  const trust = await openCommitTrust({ allowedSigners: input.allowedSigners, gpgKeyring: null });
  try {
    const ours: number[] = [];
    const cpu: number[] = [];
    for (let run = 0; run < ctx.runs(5); run++) {
      ctx.progress(`verify: ${COMMITS} commits with verifyCommits, run ${run + 1}`);
      let good = 0;
      const used = process.cpuUsage();
      ours.push(
        await timed(async () => {
          const verdicts = await verifyCommits({ gitDir, range: { from: root, to: tip }, trust });
          good = verdicts.filter((v) => v.verified).length;
        }),
      );
      const spent = process.cpuUsage(used);
      cpu.push((spent.user + spent.system) / 1000);
      if (good !== COMMITS) throw new Error(`expected ${COMMITS} good signatures, got ${good}`);
    }
    const ids = (await git(["rev-list", `${root}..${tip}`], { gitDir })).toString().trim().split("\n");
    const settings = verifyGitSettings(trust);
    const loop: number[] = [];
    for (let run = 0; run < ctx.runs(1); run++) {
      ctx.progress(`verify: git verify-commit x ${COMMITS}, run ${run + 1}`);
      loop.push(
        await timed(async () => {
          for (const id of ids) await git([...settings.config, "verify-commit", id], { gitDir });
        }),
      );
    }
    ctx.progress(`verify: git log %G? of the ${COMMITS} commits`);
    const gitLog = await timed(() => verifyWithGit({ gitDir, ids, trust }));
    return {
      scenario: `verifying a range of ${count(COMMITS)} SSH-signed commits (--verify-commits)`,
      target: "< 2 s",
      limit: 2000,
      figure: measured(ours),
      baseline: {
        label: `\`git verify-commit\` in a loop, ${count(COMMITS)} processes`,
        figure: measured(loop),
      },
      note: `CPU time of the controller process: ${cpuText(cpu)} (git's rev-list and cat-file not included). Three git processes (rev-list, cat-file --batch, nothing left for git when every signature is SSH); the signatures are checked in-process against the allowed-signers file. git itself runs ssh-keygen twice per signature (find-principals, verify): its own check of the same range in one \`git log --format=%G?\` took ${Math.round(gitLog)} ms in this run.`,
    };
  } finally {
    await trust.close();
  }
}

/** A linear history of `commits` empty commits, each signed by `key` through `git commit-tree -S`. */
async function makeSignedHistory(input: {
  gitDir: string;
  key: SshKey;
  commits: number;
}): Promise<{ root: string; tip: string }> {
  const sign = ["-c", "gpg.format=ssh", "-c", `user.signingkey=${input.key.privateKey}`];
  const tree = (
    await git(["hash-object", "-t", "tree", "-w", "--stdin"], { gitDir: input.gitDir, stdin: "" })
  )
    .toString()
    .trim();
  let parent: string | null = null;
  let root = "";
  for (let i = 0; i < input.commits; i++) {
    const args: string[] = [
      ...sign,
      "commit-tree",
      "-S",
      tree,
      ...(parent ? ["-p", parent] : []),
      "-m",
      `commit ${i}`,
    ];
    parent = (await git(args, { gitDir: input.gitDir })).toString().trim();
    if (i === 0) root = parent;
  }
  if (parent === null) throw new Error("no commits made");
  await git(["update-ref", "refs/heads/main", parent], { gitDir: input.gitDir });
  return { root, tip: parent };
}

async function signedStatusRow(input: { ctx: BenchContext; dir: string; key: SshKey }): Promise<Row> {
  const { ctx, dir, key } = input;
  const log = pino({ level: "silent" });
  const signing = await signingFromKeyFile(key.privateKey);
  const times = async (label: string, store: StatusStore): Promise<number[]> => {
    const samples: number[] = [];
    for (let i = 0; i < ctx.runs(STATUS_COMMITS); i++) {
      const changes = new Map([[`sessions/s${i % 10}.json`, Buffer.from(`{"run":${i}}\n`)]]);
      samples.push(
        await timed(() => store.commit({ changes, now: new Date(), message: () => `status: ${label} ${i}` })),
      );
    }
    return samples;
  };
  const stores: StatusStore[] = [];
  try {
    for (const name of ["unsigned", "signed"]) {
      await git(["init", "-q", "--bare", "-b", "main", join(dir, `status-${name}.git`)]);
    }
    const unsigned = await createStatusStore({
      gitDir: join(dir, "status-unsigned.git"),
      branch: "cfs-status",
      log,
    });
    const signed = await createStatusStore({
      gitDir: join(dir, "status-signed.git"),
      branch: "cfs-status",
      log,
      signing,
    });
    stores.push(unsigned, signed);
    ctx.progress("verify: status commits, unsigned and signed");
    const plain = await times("unsigned", unsigned);
    const withKey = await times("signed", signed);
    return {
      scenario: "one status commit (local branch) signed with --signing-key (SSH)",
      target: "—",
      limit: null,
      figure: measured(withKey),
      baseline: { label: "the same status commit unsigned", figure: measured(plain) },
      note: "Signing re-creates the commit fast-import built with `git commit-tree -S` (one git process, which runs `ssh-keygen -Y sign`).",
    };
  } finally {
    for (const store of stores) await store.close();
  }
}

function cpuText(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `median ${Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0)} ms`;
}
