import { register } from "prom-client";
import { describe, expect, it } from "vitest";
import type { SessionRecord } from "../../../src/api/index.js";
import { ControllerMetrics } from "../../../src/server/metrics.js";

function session(status: string, succeeded: string): SessionRecord {
  return { status: { session: { status, succeeded } } } as unknown as SessionRecord;
}

async function sample(metrics: ControllerMetrics, line: string): Promise<number | undefined> {
  const { body } = await metrics.render();
  const found = body.split("\n").find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe("ControllerMetrics", () => {
  it("keeps its metrics in its own registry, so two instances coexist and the global one stays empty", async () => {
    const a = new ControllerMetrics({ processMetrics: false });
    const b = new ControllerMetrics({ processMetrics: false });
    a.jobCreated();
    a.jobCreated();
    b.jobCreated();
    expect(await sample(a, "cfs_gitops_jobs_created_total")).toBe(2);
    expect(await sample(b, "cfs_gitops_jobs_created_total")).toBe(1);
    expect(await register.metrics()).not.toContain("cfs_gitops_");
  });

  it("counts sessions by status and succeeded, zero for the combinations that can occur", async () => {
    const metrics = new ControllerMetrics({ processMetrics: false });
    metrics.setSessions([
      session("running", "none"),
      session("complete", "true"),
      session("complete", "true"),
    ]);
    expect(await sample(metrics, 'cfs_gitops_sessions{status="running",succeeded="none"}')).toBe(1);
    expect(await sample(metrics, 'cfs_gitops_sessions{status="complete",succeeded="true"}')).toBe(2);
    expect(await sample(metrics, 'cfs_gitops_sessions{status="pending",succeeded="none"}')).toBe(0);
    expect(await sample(metrics, 'cfs_gitops_sessions{status="complete",succeeded="false"}')).toBe(0);
    expect(await sample(metrics, 'cfs_gitops_sessions{status="pending",succeeded="true"}')).toBeUndefined();
    metrics.setSessions([]);
    expect(await sample(metrics, 'cfs_gitops_sessions{status="complete",succeeded="true"}')).toBe(0);
  });

  it("records pass, fetch and push durations, failures and the commit-to-start latency", async () => {
    const metrics = new ControllerMetrics({ processMetrics: false });
    metrics.observePass({ durationMs: 120 });
    metrics.observeFetch({ seconds: 0.2, ok: true });
    metrics.observeFetch({ seconds: 3, ok: false });
    metrics.observePush({ seconds: 0.1, ok: false });
    metrics.observeCommitToStart(42);
    metrics.observeCommitToStart(-5);
    expect(await sample(metrics, "cfs_gitops_pass_duration_seconds_sum")).toBeCloseTo(0.12);
    expect(await sample(metrics, "cfs_gitops_git_fetch_duration_seconds_count")).toBe(2);
    expect(await sample(metrics, "cfs_gitops_git_fetch_failures_total")).toBe(1);
    expect(await sample(metrics, "cfs_gitops_git_push_failures_total")).toBe(1);
    expect(await sample(metrics, "cfs_gitops_commit_to_start_seconds_sum")).toBe(42);
    expect(await sample(metrics, 'cfs_gitops_commit_to_start_seconds_bucket{le="60"}')).toBe(2);
  });

  it("renders the Prometheus text format with process metrics by default", async () => {
    const metrics = new ControllerMetrics();
    metrics.setLeader(true);
    metrics.observeWebhook("triggered");
    const { contentType, body } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain("cfs_gitops_leader 1");
    expect(body).toContain('cfs_gitops_webhook_requests_total{result="triggered"} 1');
    expect(body).toContain("cfs_gitops_process_cpu_seconds_total");
  });

  it("counts loop failures by scope and class and shows the loop's state", async () => {
    const metrics = new ControllerMetrics({ processMetrics: false });
    const text = async (): Promise<string> => (await metrics.render()).body;
    expect(await text()).toContain('cfs_gitops_loop_state{state="ok"} 1');
    expect(await text()).toContain('cfs_gitops_failures_total{scope="start",class="transient"} 0');
    metrics.observeFailure({ scope: "start", failure: "transient" });
    metrics.observeFailure({ scope: "start", failure: "transient" });
    metrics.setLoopState("retrying");
    const body = await text();
    expect(body).toContain('cfs_gitops_failures_total{scope="start",class="transient"} 2');
    expect(body).toContain('cfs_gitops_loop_state{state="retrying"} 1');
    expect(body).toContain('cfs_gitops_loop_state{state="ok"} 0');
  });
});
