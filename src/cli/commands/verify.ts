/**
 * `cfs-gitops verify [RANGE]`: each commit's signature verdict, as the controller would judge it
 * with `--verify-commits`, for pull-request pipelines: exit 1 when a commit is neither verified nor
 * approved (`Cfs-Approve:` by a verified commit of the range).
 */
import type { Command } from "commander";
import { verifiedFrontier } from "../../git/verified-frontier.js";
import { openCommitTrust, verifyCommits, type CommitVerdict } from "../../git/verify-commits.js";
import { CliError } from "../errors.js";
import { processIo, type CliIo } from "../io.js";
import { parseFormatOf, renderData } from "../output.js";
import { addRepoOptions, withRepo, type GlobalFlags, type RepoContext } from "../repo-options.js";
import { parseRange, resolveRevision } from "../revisions.js";
import { addTrustOptions, resolveVerifyKeys, type TrustFlags } from "../trust-config.js";

type VerifyFlags = GlobalFlags & TrustFlags & { format: string };

/** One line of the report: the verdict, and who approved an unverified commit. */
export interface VerifyRow extends CommitVerdict {
  approvedBy: string | null;
}

/** Registers `verify`. */
export function registerVerify(program: Command, io: CliIo = processIo()): void {
  addRepoOptions(
    addTrustOptions(
      program
        .command("verify [range]")
        .description("print each commit's signature verdict (exit 1 if any is neither verified nor approved)")
        .option("--format <format>", "text or json", "text"),
      { controller: false },
    ),
  )
    .addHelpText(
      "after",
      `
RANGE is any git revision range (BASE..HEAD, or one revision: its whole history); default: the
watched branch. Verdicts: good, unsigned, unknown-key, bad-signature, expired-key, revoked-key;
an unverified commit approved by a later verified commit (trailer "Cfs-Approve: <sha>") passes.

Examples:
  cfs-gitops verify origin/main..HEAD --repo . --allowed-signers .cfs/allowed_signers
  cfs-gitops verify main --repo https://git.example.org/site/config.git --gpg-keyring keys.asc`,
    )
    .action(async (range: string | undefined, flags: VerifyFlags) => {
      const format = parseFormatOf(flags.format, ["text", "json"] as const);
      const keys = resolveVerifyKeys(flags, io.env, io.cwd);
      await withRepo(
        flags,
        async (context) => {
          const rows = await verifyRange(context, { range: range ?? context.config.branch, keys });
          io.stdout.write(format === "json" ? renderData(rows, "json") : formatRows(rows));
          const failed = rows.filter((r) => !r.verified && r.approvedBy === null);
          if (failed.length > 0) {
            throw new CliError(`${failed.length} of ${rows.length} commits not verified`);
          }
        },
        io,
      );
    });
}

async function verifyRange(
  context: RepoContext,
  input: { range: string; keys: Parameters<typeof openCommitTrust>[0] },
): Promise<VerifyRow[]> {
  const revisions = await localRevisions(context, input.range);
  const trust = await openCommitTrust(input.keys);
  try {
    const verdicts = await verifyCommits({ gitDir: context.gitDir, range: { revisions }, trust });
    const tip = verdicts.at(-1)?.commit ?? "";
    const { approved } = verifiedFrontier({ from: null, tip, verdicts });
    return verdicts.map((v) => ({ ...v, approvedBy: approved.get(v.commit) ?? null }));
  } finally {
    await trust.close();
  }
}

/** A local repository takes any range as typed; a remote's sides are fetched into the cache first. */
async function localRevisions(context: RepoContext, range: string): Promise<string> {
  if (range.startsWith("-")) throw new CliError(`${range}: not a revision range`, 2);
  if (context.config.kind === "local") return range;
  if (!range.includes("..")) return resolveRevision(context, range);
  const { base, head } = parseRange(range);
  return `${await resolveRevision(context, base)}..${await resolveRevision(context, head)}`;
}

function formatRows(rows: readonly VerifyRow[]): string {
  const lines = rows.map((r) => {
    const verdict = r.verified
      ? "good"
      : r.approvedBy
        ? `${r.reason}, approved by ${r.approvedBy.slice(0, 12)}`
        : r.reason;
    const signer = r.signer ?? r.key ?? "-";
    return `${r.commit.slice(0, 12)}  ${verdict.padEnd(14)}  ${signer}  ${r.author}: ${r.subject}`;
  });
  return lines.length === 0 ? "no commits in the range\n" : `${lines.join("\n")}\n`;
}
