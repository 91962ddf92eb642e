/**
 * `/readyz` as a pure function of what the process knows: the last git fetch, the runner's
 * informers, the leader lease, and the controller loop (stalled, or retrying transient failures). Ready only when every check passes; the body names each check
 * (`[+]git-fetch ok`, `[-]leader failed: ...`), the way kube-apiserver's verbose readyz does.
 */

import type { LoopHealth } from "../controller/controller.js";

/** The outcome of the last fetch of the watched branch; `ok` null before the first one. */
export interface FetchState {
  ok: boolean | null;
  /** Why the last fetch failed (a scrubbed message), or null. */
  error: string | null;
}

/** Leader election as readiness sees it. */
export type LeaderState =
  { elect: false } | { elect: true; leading: boolean; lease: string; holder: string | null };

/** Everything readiness depends on. */
export interface ReadinessState {
  gitFetch: FetchState;
  /** The runner's own readiness (informers synced), or null when the runner does not report one. */
  runner: boolean | null;
  leader: LeaderState;
  /** The controller loop's health, or null while it does not run on this replica. */
  loop: LoopHealth | null;
}

/** One named check. */
export interface ReadinessCheck {
  name: "git-fetch" | "runner" | "leader" | "loop";
  ok: boolean;
  message: string;
}

/** The checks, in a fixed order. */
export function readinessChecks(state: ReadinessState): ReadinessCheck[] {
  return [
    gitFetchCheck(state.gitFetch),
    runnerCheck(state.runner),
    leaderCheck(state.leader),
    loopCheck(state.loop),
  ];
}

function loopCheck(loop: LoopHealth | null): ReadinessCheck {
  if (loop === null) return { name: "loop", ok: true, message: "the controller loop does not run here" };
  if (loop.state === "ok") return { name: "loop", ok: true, message: "the last pass succeeded" };
  const last = loop.last;
  const what =
    last === null
      ? "unknown failure"
      : `${last.scope}${last.session ? ` ${last.session}` : ""}: ${last.message}`;
  const message =
    loop.state === "stalled"
      ? `stalled (${what}); retried at the next resync or change`
      : `retrying with backoff after ${loop.failures} transient failure(s) (${what})`;
  return { name: "loop", ok: false, message };
}

function gitFetchCheck(fetch: FetchState): ReadinessCheck {
  if (fetch.ok === true) return { name: "git-fetch", ok: true, message: "last fetch succeeded" };
  const message = fetch.ok === null ? "no fetch yet" : `last fetch failed: ${fetch.error ?? "unknown error"}`;
  return { name: "git-fetch", ok: false, message };
}

function runnerCheck(ready: boolean | null): ReadinessCheck {
  if (ready === null) return { name: "runner", ok: true, message: "runner reports no readiness" };
  return ready
    ? { name: "runner", ok: true, message: "runner is synced" }
    : { name: "runner", ok: false, message: "runner is not synced yet" };
}

function leaderCheck(leader: LeaderState): ReadinessCheck {
  if (!leader.elect) return { name: "leader", ok: true, message: "leader election is off" };
  if (leader.leading) return { name: "leader", ok: true, message: `holding lease ${leader.lease}` };
  const holder = leader.holder === null ? "nobody yet" : leader.holder;
  return { name: "leader", ok: false, message: `not the leader: lease ${leader.lease} is held by ${holder}` };
}

/** The HTTP answer: 200 when every check passes, else 503; one line per check. */
export function readinessResponse(checks: readonly ReadinessCheck[]): { status: 200 | 503; body: string } {
  const lines = checks.map((c) =>
    c.ok ? `[+]${c.name} ok: ${c.message}` : `[-]${c.name} failed: ${c.message}`,
  );
  const ready = checks.every((c) => c.ok);
  return { status: ready ? 200 : 503, body: `${lines.join("\n")}\n${ready ? "ready" : "not ready"}\n` };
}
