/** The HTTP endpoints over a real socket: health, readiness, metrics, and the push webhook receiver. */
import { request } from "node:http";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import {
  ControllerMetrics,
  hmacSha256Hex,
  readinessChecks,
  startHttpServer,
  type HttpServer,
  type ReadinessState,
  type WebhookReceiver,
} from "../../../src/server/index.js";

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const SECRET = "webhook-s3cret";

let server: HttpServer | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

/** Starts a server on a free loopback port with a settable readiness state and a recording trigger. */
async function start(input: { webhook?: Partial<WebhookReceiver> | null } = {}) {
  const state: ReadinessState = {
    gitFetch: { ok: null, error: null },
    runner: null,
    leader: { elect: false },
    loop: null,
  };
  const triggers: string[] = [];
  const metrics = new ControllerMetrics({ processMetrics: false });
  const webhook =
    input.webhook === null
      ? null
      : {
          secret: SECRET,
          branch: "main",
          trigger: (reason: string) => {
            triggers.push(reason);
            return true;
          },
          ...input.webhook,
        };
  server = await startHttpServer({
    listen: { host: "127.0.0.1", port: 0 },
    log,
    metrics,
    readiness: () => readinessChecks(state),
    webhook,
  });
  return { state, triggers, metrics, url: server.url };
}

function githubPush(ref: string, secret = SECRET) {
  const body = JSON.stringify({ ref, after: "a".repeat(40) });
  return {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-hub-signature-256": `sha256=${hmacSha256Hex(secret, Buffer.from(body))}`,
    },
  };
}

describe("the controller's HTTP server", () => {
  it("answers /healthz while the process lives, to GET and HEAD", async () => {
    const { url } = await start();
    const get = await fetch(`${url}/healthz`);
    expect([get.status, await get.text()]).toEqual([200, "ok\n"]);
    const head = await fetch(`${url}/healthz`, { method: "HEAD" });
    expect(head.status).toBe(200);
  });

  it("answers /readyz 503 naming the failing check, then 200 once every check passes", async () => {
    const { url, state } = await start();
    let response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain("[-]git-fetch failed: no fetch yet");
    state.gitFetch = { ok: true, error: null };
    state.runner = false;
    response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain("[-]runner failed: runner is not synced yet");
    state.runner = true;
    response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/\nready\n$/);
  });

  it("serves Prometheus text on /metrics", async () => {
    const { url, metrics } = await start();
    metrics.jobCreated();
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await response.text()).toContain("cfs_gitops_jobs_created_total 1");
  });

  it("says 404 for unknown paths and 405 (with Allow) for wrong methods", async () => {
    const { url } = await start();
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    const wrong = await fetch(`${url}/hooks/git`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    expect((await fetch(`${url}/metrics`, { method: "POST" })).status).toBe(405);
  });
});

describe("POST /hooks/git", () => {
  it("triggers a pass at once for a signed push to the watched branch (202)", async () => {
    const { url, triggers, metrics } = await start();
    const response = await fetch(`${url}/hooks/git`, githubPush("refs/heads/main"));
    expect(response.status).toBe(202);
    expect(await response.text()).toBe("accepted: push to refs/heads/main\n");
    expect(triggers).toEqual(["webhook"]);
    expect((await metrics.render()).body).toContain(
      'cfs_gitops_webhook_requests_total{result="triggered"} 1',
    );
  });

  it("ignores pushes to other branches (200) and rejects bad signatures (401) without triggering", async () => {
    const { url, triggers } = await start();
    const other = await fetch(`${url}/hooks/git`, githubPush("refs/heads/cfs-status"));
    expect(other.status).toBe(200);
    expect(await other.text()).toBe("ignored: push to refs/heads/cfs-status; watching refs/heads/main\n");
    const forged = await fetch(`${url}/hooks/git`, githubPush("refs/heads/main", "guessed"));
    expect(forged.status).toBe(401);
    expect(await forged.text()).toBe("github signature does not match\n");
    const unsigned = await fetch(`${url}/hooks/git`, { method: "POST", body: "{}" });
    expect(unsigned.status).toBe(401);
    expect(triggers).toEqual([]);
  });

  it("hands a signed pull request event to the forge's check (202), without a pass; ignores it with no forge", async () => {
    const checked: number[] = [];
    const { url, triggers } = await start({ webhook: { checkPullRequest: (pr) => void checked.push(pr) } });
    const body = JSON.stringify({ action: "synchronized", number: 12, pull_request: {} });
    const headers = {
      "content-type": "application/json",
      "x-gitea-event": "pull_request",
      "x-gitea-signature": hmacSha256Hex(SECRET, Buffer.from(body)),
    };
    const answer = await fetch(`${url}/hooks/git`, { method: "POST", body, headers });
    expect([answer.status, await answer.text()]).toEqual([
      202,
      "accepted: pull request 12 synchronized, checking\n",
    ]);
    expect(checked).toEqual([12]);
    expect(triggers).toEqual([]);
    await server?.close();
    const plain = await start();
    const ignored = await fetch(`${plain.url}/hooks/git`, { method: "POST", body, headers });
    expect(ignored.status).toBe(200);
    expect(checked).toEqual([12]);
  });

  it("accepts Gitea's HMAC and GitLab's token", async () => {
    const { url, triggers } = await start();
    const body = JSON.stringify({ ref: "refs/heads/main" });
    const gitea = await fetch(`${url}/hooks/git`, {
      method: "POST",
      body,
      headers: { "x-gitea-event": "push", "x-gitea-signature": hmacSha256Hex(SECRET, Buffer.from(body)) },
    });
    expect(gitea.status).toBe(202);
    const gitlab = await fetch(`${url}/hooks/git`, {
      method: "POST",
      body: JSON.stringify({ object_kind: "push", ref: "refs/heads/main" }),
      headers: { "x-gitlab-event": "Push Hook", "x-gitlab-token": SECRET },
    });
    expect(gitlab.status).toBe(202);
    expect(triggers).toEqual(["webhook", "webhook"]);
  });

  it("refuses bodies over the limit (413), declared or streamed", async () => {
    const { url, triggers } = await start({ webhook: { maxBodyBytes: 1024 } });
    const big = "x".repeat(4096);
    const declared = await fetch(`${url}/hooks/git`, { method: "POST", body: big });
    expect(declared.status).toBe(413);
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${url}/hooks/git`,
        { method: "POST", headers: { "transfer-encoding": "chunked" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.write(big.slice(0, 800));
      req.end(big.slice(800));
    });
    expect(streamed).toBe(413);
    expect(triggers).toEqual([]);
  });

  it("says 503 when this replica is not the leader, and 404 when no secret is configured", async () => {
    const standby = await start({ webhook: { trigger: () => false } });
    expect((await fetch(`${standby.url}/hooks/git`, githubPush("refs/heads/main"))).status).toBe(503);
    await server?.close();
    const off = await start({ webhook: null });
    expect((await fetch(`${off.url}/hooks/git`, githubPush("refs/heads/main"))).status).toBe(404);
  });
});
