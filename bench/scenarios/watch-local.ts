/**
 * A controller started (watching the refs of a local repository) on the big repository; someone
 * pushes a commit adding one session from a clone. Latency: from `git push` returning to the
 * runner's start() being called.
 */
import { join } from "node:path";
import { addSessions } from "../lib/bench-repo.js";
import type { BenchContext } from "../lib/context.js";
import { sessionName } from "../lib/generate.js";
import { git } from "../lib/git.js";
import { count, measured, type Row } from "../lib/report.js";
import { wireController } from "../lib/wire.js";

const SETTLE_MS = 300;
const TIMEOUT_MS = 20_000;

/** Row: push to run started, watching refs. */
export async function watchLocalRows(ctx: BenchContext): Promise<Row[]> {
  const repo = await ctx.copyOfBig("watch");
  const pusher = join(ctx.options.dataDir, "pusher.git");
  await git(["clone", "--bare", "--quiet", repo.gitDir, pusher]);
  const wired = await wireController({ where: { kind: "local", path: repo.gitDir } });
  try {
    ctx.progress("watch: starting the controller (first pass)");
    await wired.controller.start();
    const latency: number[] = [];
    const pushes: number[] = [];
    let next = repo.shape.sessions + 200_000;
    for (let run = 0; run < ctx.runs(15); run++) {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const name = sessionName(next);
      await addSessions({ gitDir: pusher, shape: repo.shape }, { from: next, to: next + 1 });
      next += 1;
      const started = wired.runner.whenStarted(name);
      const pushStarted = performance.now();
      await git(["push", "--quiet", repo.gitDir, "main"], { gitDir: pusher });
      const pushed = performance.now();
      const at = await withTimeout(started, `${name} was not started within ${TIMEOUT_MS} ms`);
      latency.push(at - pushed);
      pushes.push(pushed - pushStarted);
    }
    return [
      {
        scenario: `commit pushed to a local repository (${count(ctx.options.sessions)}+ sessions), to its run started, watching refs`,
        target: "p50 < 200 ms",
        limit: 200,
        figure: measured(latency),
        baseline: { label: "the `git push` itself", figure: measured(pushes) },
        note: "From `git push` (from a clone, into the watched repository) returning to the runner's start(): the ref watcher's event, its 50 ms debounce, then a pass (diff, read and parse the new file, plan every session, start).",
      },
    ];
  } finally {
    await wired.close();
  }
}

/** `promise`, or a rejection after TIMEOUT_MS. */
export async function withTimeout<T>(promise: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
