/**
 * `cfs-gitops diff BASE..HEAD` / `diff --pr [HEAD]`: what the controller will do when HEAD merges
 * into the watched branch, as markdown to paste into a pull-request review (or json), with an exit
 * code for CI: 1 when the change brings problems or does not merge cleanly.
 */
import type { Command } from "commander";
import type { SessionRecord } from "../../api/index.js";
import { previewChange, previewMarkdown, type Preview } from "../diff-preview.js";
import { CliError } from "../errors.js";
import { processIo, type CliIo } from "../io.js";
import { parseFormatOf, renderData } from "../output.js";
import { addRepoOptions, withRepo, type GlobalFlags, type RepoContext } from "../repo-options.js";
import { readManifestTree } from "../repo-tree.js";
import { mergeTree, parseRange, resolveRevision } from "../revisions.js";
import { settledSessions } from "../settled-sessions.js";
import { StatusReader } from "../status-reader.js";

type DiffFlags = GlobalFlags & { pr?: boolean; format: string };

/** Registers `diff`. */
export function registerDiff(program: Command, io: CliIo = processIo()): void {
  addRepoOptions(
    program
      .command("diff [range]")
      .description(
        "preview what the controller will do when a change merges (markdown for a PR review; exit 1 on problems)",
      )
      .option("--pr", "compare [range] as one revision (default HEAD) against the watched branch")
      .option("--format <format>", "markdown or json", "markdown"),
  )
    .addHelpText(
      "after",
      `
Lists the sessions the merge creates and deletes, edits that change nothing (sessions are
immutable), other changes (configurations, components, cfs.yaml), and every problem the change
brings, each as file:line:col with the controller's own message. Exit code 1 when there are
problems or the change does not merge cleanly, so CI can gate the merge.

Examples:
  cfs-gitops diff main..add-sessions
  cfs-gitops diff --pr add-sessions --repo https://git.example.org/site/config.git
  cfs-gitops diff --pr --repo . > review.md       # in a CI checkout of the pull request`,
    )
    .action(async (range: string | undefined, flags: DiffFlags) => {
      const format = parseFormatOf(flags.format, ["markdown", "json"] as const);
      await withRepo(
        flags,
        async (context) => {
          if (flags.pr && range === undefined && context.config.kind === "remote") {
            throw new CliError(
              "--pr: name the pull request's branch (HEAD means something only in a local checkout)",
              2,
            );
          }
          const sides = flags.pr
            ? { base: context.config.branch, head: range ?? "HEAD" }
            : parseRange(range ?? missingRange());
          const preview = await previewRange(context, sides);
          io.stdout.write(
            format === "json" ? renderData(preview, "json") : previewMarkdown({ preview, ...sides }),
          );
          if (preview.problems.length > 0 || preview.conflicts.length > 0) {
            throw new CliError(
              preview.conflicts.length > 0
                ? `${sides.head} does not merge cleanly into ${sides.base}`
                : `${preview.problems.length} problem${preview.problems.length === 1 ? "" : "s"} in ${sides.head}`,
            );
          }
        },
        io,
      );
    });
}

function missingRange(): never {
  throw new CliError("give a range BASE..HEAD, or --pr [HEAD] to compare with the watched branch", 2);
}

/** The preview of merging `head` into `base`. */
export async function previewRange(
  context: RepoContext,
  sides: { base: string; head: string },
): Promise<Preview> {
  const base = await resolveRevision(context, sides.base);
  const head = await resolveRevision(context, sides.head);
  const merged = await mergeTree({ gitDir: context.gitDir, base, head });
  const reader = await StatusReader.open(context.status);
  const records = new Map<string, SessionRecord>((await reader.sessions()).map((r) => [r.name, r]));
  const recorded = { sessions: records, expired: await reader.expired() };
  // Finished sessions hold no configuration back: their references are not checked (as the controller).
  const settled = settledSessions({ records: records.values(), expired: recorded.expired.values() });
  const before = await readManifestTree({ source: context.source, commit: base, settled });
  if (merged.conflicts.length > 0) {
    const empty = previewChange({ before, after: before, recorded });
    return { ...empty, conflicts: merged.conflicts };
  }
  const after = await readManifestTree({ source: context.source, commit: merged.tree, settled });
  return previewChange({ before, after, recorded });
}
