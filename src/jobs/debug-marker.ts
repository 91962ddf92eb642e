/**
 * `debug_on_failure` in a Job, as CFS's ansible container does it: after a failed layer the
 * ansible container keeps running (waits) until `/tmp/complete` exists or `debug_wait_time` passes,
 * so an admin can `kubectl exec` into it. The container says so in its log with a marker line
 * carrying the wait (`status.debug` of the session), and another when the wait is over.
 */
import type { DebugWait } from "../api/index.js";
import { STEP_MARKER } from "./step-log.js";

/** The file whose creation ends the wait, in the ansible container (CFS's). */
export const DEBUG_RELEASE_FILE = "/tmp/complete";

const DEBUG = /^##cfs-gitops## debug (\{.*\})\s*$/;
const DEBUG_END = /^##cfs-gitops## debug-end\s*$/;

/** The command that ends the wait of `container` in `pod`: what CFS documents. */
export function debugReleaseCommand(input: { namespace: string; pod: string; container: string }): string {
  return `kubectl exec -n ${input.namespace} ${input.pod} -c ${input.container} -- touch ${DEBUG_RELEASE_FILE}`;
}

/** The line the ansible container prints when it starts waiting. */
export function debugMarker(wait: DebugWait): string {
  return `${STEP_MARKER} debug ${JSON.stringify(wait)}`;
}

/** The line the ansible container prints when the wait is over. */
export function debugEndMarker(): string {
  return `${STEP_MARKER} debug-end`;
}

/** The wait a container's log shows going on (a debug line with no debug-end after it), or null. */
export function debugWaitInLog(log: string): DebugWait | null {
  let wait: DebugWait | null = null;
  for (const line of log.split("\n")) {
    if (!line.startsWith(STEP_MARKER)) continue;
    if (DEBUG_END.test(line)) wait = null;
    const text = DEBUG.exec(line)?.[1];
    if (text !== undefined) wait = parseWait(text) ?? wait;
  }
  return wait;
}

function parseWait(text: string): DebugWait | null {
  try {
    const value = JSON.parse(text) as Partial<DebugWait>;
    const { work_dir: workDir, until, release } = value;
    if (typeof workDir !== "string" || typeof until !== "string" || typeof release !== "string") return null;
    return { work_dir: workDir, until, release };
  } catch {
    return null;
  }
}
