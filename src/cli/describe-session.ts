/**
 * `sessions describe NAME`: one session record in the shape of `cray cfs v3 sessions describe`,
 * read without listing the others (read-one-session.ts). The command and its quick path
 * (quick.ts) both print through here.
 */
import { CliError } from "./errors.js";
import type { CliIo } from "./io.js";
import type { DESCRIBE_OUTPUTS } from "./output-flags.js";
import { renderData } from "./output.js";
import { errorCount, problemLines } from "./problems.js";
import { readOneSession } from "./read-one-session.js";
import type { RepoContext } from "./repo-options.js";
import { findSession } from "./session-source.js";

/**
 * Prints session `name` as `output`; a manifest's problems go to stderr as file:line:col lines.
 * A session whose manifest cannot be used prints its problems and fails (CliError, exit 1), as
 * does a name with no session.
 */
export async function describeSession(input: {
  context: RepoContext;
  name: string;
  output: (typeof DESCRIBE_OUTPUTS)[number];
  io: CliIo;
}): Promise<void> {
  const { context, name, io } = input;
  const { view, problems } = await readOneSession({ context, name });
  if (view === null && problems.length > 0) {
    io.stdout.write(problemLines(problems));
    const count = errorCount(problems);
    throw new CliError(
      `session ${name} cannot be used: ${count} problem${count === 1 ? "" : "s"} in ${problems.map((p) => p.path).join(", ")} (fix the file, or delete it)`,
    );
  }
  io.stdout.write(renderData(findSession(view === null ? [] : [view], name), input.output));
  if (problems.length > 0) io.stderr.write(problemLines(problems));
}
