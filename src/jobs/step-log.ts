/**
 * Where each part of a `cfs` layout container begins and ends in its log. The `git-clone` and
 * `ansible` containers of that layout run the part of every layer; before each part they print a
 * begin line and after it an end line carrying the part's result, so one log can be cut back into
 * the per-layer logs (`ansible-1`) and a running container's finished layers are known from its log.
 */
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import type { DebugWait } from "../api/index.js";
import { MAX_TERMINATION_MESSAGE_BYTES } from "./constants.js";
import { debugWaitInLog } from "./debug-marker.js";
import { decodeStepMessage, encodeStepMessage, type StepMessage } from "./step-message.js";

/** The prefix of a marker line: nothing ansible or git prints starts a line with it. */
export const STEP_MARKER = "##cfs-gitops##";

const BEGIN = /^##cfs-gitops## begin (\S+)\s*$/;
const END = /^##cfs-gitops## end (\S+)(?: (.*))?$/;

/** The line printed before part `step` (`ansible-1`) starts. */
export function beginMarker(step: string): string {
  return `${STEP_MARKER} begin ${step}`;
}

/** The line printed after a part ended, with its result (as compact JSON, at most 4 KiB). */
export function endMarker(message: StepMessage): string {
  return `${STEP_MARKER} end ${message.step} ${encodeStepMessage(message, MAX_TERMINATION_MESSAGE_BYTES)}`;
}

/**
 * The log of part `step` in a container's `log`: the lines between its begin and end markers
 * (up to the end of the log while it runs); null when the log has no such part.
 */
export function splitStepLog(log: string, step: string): string | null {
  const lines = log.split("\n");
  const start = lines.findIndex((line) => BEGIN.exec(line)?.[1] === step);
  if (start < 0) return null;
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => END.exec(line)?.[1] === step);
  const body = end < 0 ? rest : rest.slice(0, end);
  const text = body.join("\n");
  return end < 0 || text === "" ? text : `${text}\n`;
}

/** What a running container's log says of its parts: those begun and not ended, and those ended. */
export interface StepLogProgress {
  running: string[];
  ended: StepMessage[];
  /** A failed session with debug_on_failure waiting in this container (see debug-marker.ts); absent: none. */
  debug?: DebugWait;
}

/** The parts a log shows begun and ended (an end line whose result cannot be read ends nothing). */
export function stepLogProgress(log: string): StepLogProgress {
  const running: string[] = [];
  const ended: StepMessage[] = [];
  for (const line of log.split("\n")) {
    if (!line.startsWith(STEP_MARKER)) continue;
    const begun = BEGIN.exec(line)?.[1];
    if (begun !== undefined) {
      if (!running.includes(begun)) running.push(begun);
      continue;
    }
    const message = endedPart(line);
    if (message === null) continue;
    ended.push(message);
    const at = running.indexOf(message.step);
    if (at >= 0) running.splice(at, 1);
  }
  const debug = debugWaitInLog(log);
  return debug === null ? { running, ended } : { running, ended, debug };
}

/** The result an end line carries, or null when the line is not one or its result cannot be read. */
function endedPart(line: string): StepMessage | null {
  const end = END.exec(line);
  const message = decodeStepMessage(end?.[2]);
  return end === null || message === null || message.step !== end[1] ? null : message;
}

/** The container whose log holds step `step`, and the part to cut from it (null: the whole log). */
export interface StepLogSource {
  container: string;
  part: string | null;
}

const ANSIBLE_PART = /^ansible-[0-9]+$/;
const CLONE_PART = /^git-clone-([0-9]+|hosts)$/;

/**
 * Where a step's log is in `job`'s pod: its own container in the per-layer layout; in the cfs
 * layout, `ansible-<i>` is a part of the `ansible` container and `git-clone-<i>` and
 * `git-clone-hosts` parts of `git-clone`. A Job not known reads the container of that name.
 */
export function stepLogSource(job: V1Job | null, step: string): StepLogSource {
  const pod = job?.spec?.template.spec;
  const names = [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])].map((c) => c.name);
  if (names.includes(step)) return { container: step, part: null };
  if (ANSIBLE_PART.test(step) && names.includes("ansible")) return { container: "ansible", part: step };
  if (CLONE_PART.test(step) && names.includes("git-clone")) return { container: "git-clone", part: step };
  return { container: step, part: null };
}

/**
 * The running container of a cfs layout pod whose log tells per-layer progress (`git-clone` or
 * `ansible`), or null when neither runs.
 */
export function runningAllLayersContainer(pod: V1Pod | null): string | null {
  const statuses = [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])];
  const running = statuses.find(
    (s) => (s.name === "ansible" || s.name === "git-clone") && s.state?.running !== undefined,
  );
  return running?.name ?? null;
}
