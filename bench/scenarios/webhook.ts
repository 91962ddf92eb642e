/**
 * A controller on a remote over HTTP (polling once an hour, so only the webhook wakes it) with the
 * server room's HTTP endpoints; someone pushes a commit adding one session over HTTP and the forge
 * calls `POST /hooks/git` (a GitHub push event, signed). Latency: from `git push` returning to the
 * runner's start() being called, the webhook request included.
 */
import { cp } from "node:fs/promises";
import { join } from "node:path";
import { pino } from "pino";
import {
  ControllerMetrics,
  hmacSha256Hex,
  startHttpServer,
  type HttpServer,
} from "../../src/server/index.js";
import { addSessions } from "../lib/bench-repo.js";
import type { BenchContext } from "../lib/context.js";
import { sessionName } from "../lib/generate.js";
import { git, timed } from "../lib/git.js";
import { count, measured, type Row } from "../lib/report.js";
import { wireController, type Wired } from "../lib/wire.js";
import { withTimeout } from "./watch-local.js";

const SECRET = "bench-webhook-secret";
const SETTLE_MS = 300;

/** Row: push over HTTP + webhook to run started. */
export async function webhookRows(ctx: BenchContext): Promise<Row[]> {
  const big = await ctx.bigRepo();
  await cp(big.gitDir, join(ctx.serverRoot, "webhook.git"), { recursive: true });
  const server = await ctx.gitServer();
  const url = server.url("webhook.git");
  const pusher = join(ctx.options.dataDir, "webhook-pusher.git");
  const mirror = join(ctx.options.dataDir, "webhook-mirror.git");
  await git(["clone", "--bare", "--quiet", big.gitDir, pusher]);
  await git(["clone", "--bare", "--quiet", big.gitDir, mirror]);
  const wired = await wireController({
    where: { kind: "remote", url, cacheDir: join(ctx.options.dataDir, "webhook-cache") },
  });
  ctx.progress("webhook: starting the controller (first pass: fetch and read everything)");
  await wired.controller.start();
  const http = await startReceiver(wired);
  try {
    const latency: number[] = [];
    const fetches: number[] = [];
    let next = big.shape.sessions + 300_000;
    for (let run = 0; run < ctx.runs(15); run++) {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      await addSessions({ gitDir: pusher, shape: big.shape }, { from: next, to: next + 1 });
      const started = wired.runner.whenStarted(sessionName(next));
      next += 1;
      await git(["push", "--quiet", url, "main"], { gitDir: pusher });
      const pushed = performance.now();
      await postPushHook(http.url);
      const at = await withTimeout(started, "the session was not started after the webhook");
      latency.push(at - pushed);
      fetches.push(await timed(() => git(["fetch", "--quiet", url, "+main:main"], { gitDir: mirror })));
    }
    return [
      {
        scenario: `commit pushed to a remote over HTTP (${count(ctx.options.sessions)}+ sessions) with the webhook, to its run started`,
        target: "p50 < 500 ms",
        limit: 500,
        figure: measured(latency),
        baseline: { label: "`git fetch` of the new commit", figure: measured(fetches) },
        note: "From `git push` over HTTP returning to the runner's start(): the signed `POST /hooks/git` (GitHub push event) and its answer, then a pass (ref request, `git fetch`, diff, read and parse the new file, plan every session, start). The git server is git http-backend in another process.",
      },
    ];
  } finally {
    await http.close();
    await wired.close();
  }
}

function startReceiver(wired: Wired): Promise<HttpServer> {
  return startHttpServer({
    listen: { host: "127.0.0.1", port: 0 },
    log: pino({ level: "silent" }),
    metrics: new ControllerMetrics({ processMetrics: false }),
    readiness: () => [],
    webhook: {
      secret: SECRET,
      branch: "main",
      trigger: (reason) => {
        wired.controller.trigger(reason);
        return true;
      },
    },
  });
}

/** What GitHub sends for a push to main (the fields the receiver reads), signed with the secret. */
async function postPushHook(base: string): Promise<void> {
  const body = Buffer.from(
    JSON.stringify({ ref: "refs/heads/main", repository: { full_name: "site/config" } }),
  );
  const response = await fetch(`${base}/hooks/git`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-hub-signature-256": `sha256=${hmacSha256Hex(SECRET, body)}`,
    },
    body,
  });
  await response.arrayBuffer();
  if (response.status !== 202) throw new Error(`the webhook answered ${response.status}`);
}
