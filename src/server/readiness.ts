/**
 * `/readyz` as a pure function of what the process knows: the last git fetch, the runner's
 * informers, the leader lease, the controller loop (stalled, or retrying transient failures) and,
 * with `--api-listen`, the REST API's listener. Ready only when every check passes; the body names each check
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

/** Commit verification (`--verify-commits`): how many commits hold the watched branch back, and why. */
export interface CommitVerificationState {
  blocking: number;
  message: string;
}

/** The REST API's listener (`--api-listen`) as readiness sees it. */
export interface ApiListenerState {
  /** True while the listener is bound and accepting connections. */
  listening: boolean;
  /** Where it listens (`:8443`) and how (`https`, or `http` with `--api-insecure`). */
  address: string;
  scheme: "http" | "https";
  /** Tokens of the tokens file in force. */
  tokens: number;
  /** Keys of the JWKS file in force, or null without `--api-jwks-file`. */
  jwksKeys: number | null;
}

/** Everything readiness depends on. */
export interface ReadinessState {
  gitFetch: FetchState;
  /** The runner's own readiness (informers synced), or null when the runner does not report one. */
  runner: boolean | null;
  leader: LeaderState;
  /** The controller loop's health, or null while it does not run on this replica. */
  loop: LoopHealth | null;
  /** Commit verification, when it is on. */
  commits?: CommitVerificationState | null;
  /** The REST API, when `--api-listen` serves it. */
  api?: ApiListenerState | null;
}

/** One named check. */
export interface ReadinessCheck {
  name: "git-fetch" | "runner" | "leader" | "loop" | "api" | "commit-verification";
  ok: boolean;
  message: string;
  /**
   * A detail that does not make the replica unready: unverified commits hold the branch back, but
   * the controller keeps running what it has and must keep receiving webhooks (the approval).
   */
  advisory?: boolean;
}

/** The checks, in a fixed order. */
export function readinessChecks(state: ReadinessState): ReadinessCheck[] {
  const checks = [
    gitFetchCheck(state.gitFetch),
    runnerCheck(state.runner),
    leaderCheck(state.leader),
    loopCheck(state.loop),
  ];
  if (state.api) checks.push(apiCheck(state.api));
  if (state.commits) checks.push(commitsCheck(state.commits));
  return checks;
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

function apiCheck(api: ApiListenerState): ReadinessCheck {
  const where = `${api.scheme} on ${api.address}`;
  if (!api.listening) return { name: "api", ok: false, message: `not listening (${where})` };
  const keys = api.jwksKeys === null ? "" : ` and ${api.jwksKeys} JWKS key(s)`;
  if (api.tokens + (api.jwksKeys ?? 0) === 0)
    return { name: "api", ok: false, message: `serving ${where}, but no token or key admits anyone` };
  return { name: "api", ok: true, message: `serving ${where} with ${api.tokens} token(s)${keys}` };
}

function commitsCheck(commits: CommitVerificationState): ReadinessCheck {
  return {
    name: "commit-verification",
    ok: commits.blocking === 0,
    message: commits.message,
    advisory: true,
  };
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
  const lines = checks.map((c) => {
    if (c.ok) return `[+]${c.name} ok: ${c.message}`;
    return c.advisory === true ? `[!]${c.name} warning: ${c.message}` : `[-]${c.name} failed: ${c.message}`;
  });
  const ready = checks.every((c) => c.ok || c.advisory === true);
  return { status: ready ? 200 : 503, body: `${lines.join("\n")}\n${ready ? "ready" : "not ready"}\n` };
}
