/**
 * The termination message of a step container: a small JSON record of the step's result that the
 * kubelet copies into the pod status, so the runner learns per-layer results without reading logs.
 * The kubelet keeps at most 4096 bytes per container and 12 KiB per pod, split evenly between its
 * containers (kubelet status_manager normalizeStatus), so the encoder fits a byte budget.
 */
import { ARTIFACT_TYPE, type Artifact, type RecapCounts } from "../api/index.js";
import { MAX_POD_TERMINATION_MESSAGE_BYTES, MAX_TERMINATION_MESSAGE_BYTES } from "./constants.js";

/** How a step ended. */
export type StepOutcome = "succeeded" | "failed" | "skipped";

/** What one step reports (version 1 of the message format). */
export interface StepMessage {
  v: 1;
  /** Container name (`ansible-2`). */
  step: string;
  status: StepOutcome;
  /** Exit code of the step's work (ansible-playbook's for ansible steps); null when skipped. */
  exit_code: number | null;
  /** The commit a `git-clone-<i>` step checked out (a layer's branch resolved); null otherwise. */
  commit: string | null;
  /** Why it failed or was skipped, in plain words; null on success. */
  reason: string | null;
  /** PLAY RECAP totals over all hosts (ansible steps), null for other steps. */
  recap: RecapCounts | null;
  /** PLAY RECAP per host, when it fits the budget (dropped first when it does not). */
  hosts: Record<string, RecapCounts> | null;
  failed_hosts: string[];
  unreachable_hosts: string[];
  /** Exact counts, even when the lists above were shortened. */
  failed_host_count: number;
  unreachable_host_count: number;
  /** Image sessions (`teardown`): the result images, dropped only when they cannot fit the budget. */
  artifacts: Artifact[];
  /** Exact number of artifacts, even when the list was dropped (the result file keeps it all). */
  artifact_count: number;
  /** Image sessions (`inventory`, `teardown`): every IMS job id, in image order. */
  ims_jobs: string[];
  /**
   * The `cfs` layout's `git-clone` and `ansible` containers: the message of each part they ran, as
   * the per-layer layout's own containers would have written it (`git-clone-0`, `git-clone-hosts`,
   * `ansible-1`, ...), in order. Empty for every other step. Parts carry no parts.
   */
  parts: StepMessage[];
  /** True when anything was dropped or shortened to fit the budget. */
  truncated: boolean;
}

/** Fields a step fills in; the rest get defaults. */
export type StepMessageInput = Pick<StepMessage, "step" | "status" | "exit_code"> &
  Partial<
    Pick<
      StepMessage,
      | "commit"
      | "reason"
      | "recap"
      | "hosts"
      | "failed_hosts"
      | "unreachable_hosts"
      | "artifacts"
      | "ims_jobs"
      | "parts"
    >
  >;

const OUTCOMES: readonly string[] = ["succeeded", "failed", "skipped"];
const MAX_STEP_NAME = 63;
const SHORT_REASON = 200;

/**
 * The byte budget of one container's termination message in a pod with `containerCount`
 * containers: 4096, or less when the pod's 12 KiB must be shared by more than three containers.
 */
export function terminationMessageBudget(containerCount: number): number {
  const share = Math.floor(MAX_POD_TERMINATION_MESSAGE_BYTES / Math.max(1, containerCount));
  return Math.min(MAX_TERMINATION_MESSAGE_BYTES, share);
}

/** A complete message from what a step knows, with empty lists and nulls for the rest. */
export function stepMessage(input: StepMessageInput): StepMessage {
  const failed = input.failed_hosts ?? [];
  const unreachable = input.unreachable_hosts ?? [];
  return {
    v: 1,
    step: input.step,
    status: input.status,
    exit_code: input.exit_code,
    commit: input.commit ?? null,
    reason: input.reason ?? null,
    recap: input.recap ?? null,
    hosts: input.hosts ?? null,
    failed_hosts: failed,
    unreachable_hosts: unreachable,
    failed_host_count: failed.length,
    unreachable_host_count: unreachable.length,
    artifacts: input.artifacts ?? [],
    artifact_count: input.artifacts?.length ?? 0,
    ims_jobs: input.ims_jobs ?? [],
    parts: input.parts ?? [],
    truncated: false,
  };
}

/**
 * JSON of a message in at most `budget` bytes (UTF-8), written compactly: fields at their default
 * (null, empty lists, counts equal to the lists' lengths, not truncated) are left out, so that even
 * the small share of a pod with many layers holds step, status, exit code and commit. Shortens in
 * this order until it fits: drop the per-host recap, halve the host lists, shorten the reason, drop
 * it, drop the IMS job ids, drop the artifacts (last: they are the result of an image session).
 * Counts, status, exit code and commit always survive; a budget under ~100 bytes may still be
 * exceeded by the bare minimum.
 */
export function encodeStepMessage(message: StepMessage, budget = MAX_TERMINATION_MESSAGE_BYTES): string {
  for (const candidate of shrinkSteps(message)) {
    const text = JSON.stringify(compact(candidate));
    if (byteLength(text) <= budget) return text;
  }
  return JSON.stringify(compact(minimal(message)));
}

/**
 * The message in a termination message, or null when it is not one (empty, cut, foreign text).
 * Fields left out (compact encoding, or added after version 1 first shipped) read as their defaults.
 */
export function decodeStepMessage(text: string | undefined): StepMessage | null {
  if (text === undefined || text.trim() === "") return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return decodeObject(value);
}

/** A decoded message object, or null when it is not one; `nested` parts carry no parts of their own. */
function decodeObject(value: unknown, nested = false): StepMessage | null {
  if (!isObject(value)) return null;
  const m = value as Record<string, unknown>;
  if (m["v"] !== 1 || typeof m["step"] !== "string" || !isOutcome(m["status"])) return null;
  const message = withDefaults(m, { step: m["step"], status: m["status"] });
  if (nested || !Array.isArray(m["parts"])) return message;
  const parts = m["parts"].map((part) => decodeObject(part, true)).filter((p) => p !== null);
  return { ...message, parts };
}

/** The message with every field at its default left out. */
function compact(message: StepMessage): Partial<StepMessage> {
  const out: Partial<StepMessage> = { v: 1, step: message.step, status: message.status };
  if (message.exit_code !== null) out.exit_code = message.exit_code;
  if (message.commit !== null) out.commit = message.commit;
  if (message.reason !== null) out.reason = message.reason;
  if (message.recap !== null) out.recap = message.recap;
  if (message.hosts !== null) out.hosts = message.hosts;
  if (message.failed_hosts.length > 0) out.failed_hosts = message.failed_hosts;
  if (message.unreachable_hosts.length > 0) out.unreachable_hosts = message.unreachable_hosts;
  if (message.failed_host_count !== message.failed_hosts.length)
    out.failed_host_count = message.failed_host_count;
  if (message.unreachable_host_count !== message.unreachable_hosts.length) {
    out.unreachable_host_count = message.unreachable_host_count;
  }
  if (message.truncated) out.truncated = true;
  if (message.parts.length > 0) out.parts = message.parts.map((part) => compact(part) as StepMessage);
  return { ...out, ...compactImageFields(message) };
}

/** The image fields of a message that are not at their default. */
function compactImageFields(message: StepMessage): Partial<StepMessage> {
  const out: Partial<StepMessage> = {};
  if (message.artifacts.length > 0) out.artifacts = message.artifacts;
  if (message.artifact_count !== message.artifacts.length) out.artifact_count = message.artifact_count;
  if (message.ims_jobs.length > 0) out.ims_jobs = message.ims_jobs;
  return out;
}

/** A decoded message with the fields it left out at their defaults; fields of the wrong type read as absent. */
function withDefaults(m: Record<string, unknown>, head: Pick<StepMessage, "step" | "status">): StepMessage {
  const failed = stringList(m["failed_hosts"]);
  const unreachable = stringList(m["unreachable_hosts"]);
  return {
    v: 1,
    ...head,
    exit_code: typeof m["exit_code"] === "number" ? m["exit_code"] : null,
    commit: typeof m["commit"] === "string" ? m["commit"] : null,
    reason: typeof m["reason"] === "string" ? m["reason"] : null,
    recap: isObject(m["recap"]) ? (m["recap"] as RecapCounts) : null,
    hosts: isObject(m["hosts"]) ? (m["hosts"] as Record<string, RecapCounts>) : null,
    failed_hosts: failed,
    unreachable_hosts: unreachable,
    failed_host_count: typeof m["failed_host_count"] === "number" ? m["failed_host_count"] : failed.length,
    unreachable_host_count:
      typeof m["unreachable_host_count"] === "number" ? m["unreachable_host_count"] : unreachable.length,
    ...imageFields(m),
    parts: [],
    truncated: m["truncated"] === true,
  };
}

/** The image fields of a decoded message; artifacts of the wrong shape are left out. */
function imageFields(
  m: Record<string, unknown>,
): Pick<StepMessage, "artifacts" | "artifact_count" | "ims_jobs"> {
  const artifacts = Array.isArray(m["artifacts"]) ? m["artifacts"].filter(isArtifact) : [];
  const count = m["artifact_count"];
  return {
    artifacts,
    artifact_count: typeof count === "number" ? count : artifacts.length,
    ims_jobs: stringList(m["ims_jobs"]),
  };
}

function isArtifact(value: unknown): value is Artifact {
  if (!isObject(value)) return false;
  const a = value as Record<string, unknown>;
  return (
    typeof a["image_id"] === "string" && typeof a["result_id"] === "string" && a["type"] === ARTIFACT_TYPE
  );
}

function isOutcome(value: unknown): value is StepOutcome {
  return typeof value === "string" && OUTCOMES.includes(value);
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

function* shrinkSteps(message: StepMessage): Generator<StepMessage> {
  yield message;
  let current: StepMessage = withParts(message, (m) => (m.hosts === null ? m : { ...m, hosts: null }));
  if (current !== message) yield current;
  let keep = Math.max(...hostListLengths(current));
  while (keep > 0) {
    keep = Math.floor(keep / 2);
    current = withParts(current, (m) => withHostLists(m, keep));
    yield current;
  }
  current = withParts(current, (m) => (m === current || m.reason === null ? m : { ...m, reason: null }));
  yield current;
  if (current.reason !== null && current.reason.length > SHORT_REASON) {
    current = { ...current, reason: `${current.reason.slice(0, SHORT_REASON)}...`, truncated: true };
    yield current;
  }
  current = { ...current, reason: null, truncated: current.truncated || current.reason !== null };
  yield current;
  if (current.ims_jobs.length > 0) {
    current = { ...current, ims_jobs: [], truncated: true };
    yield current;
  }
  if (current.artifacts.length > 0) yield { ...current, artifacts: [], truncated: true };
}

/**
 * `change` applied to the message and to each of its parts; a changed part marks the message
 * truncated. Returns `message` itself when nothing changed.
 */
function withParts(message: StepMessage, change: (m: StepMessage) => StepMessage): StepMessage {
  const own = change(message);
  const parts = message.parts.map(change);
  const partsChanged = parts.some((part, i) => part !== message.parts[i]);
  if (own === message && !partsChanged) return message;
  return { ...own, parts: partsChanged ? parts : own.parts, truncated: true };
}

function hostListLengths(message: StepMessage): number[] {
  return [message, ...message.parts].flatMap((m) => [m.failed_hosts.length, m.unreachable_hosts.length]);
}

function withHostLists(message: StepMessage, keep: number): StepMessage {
  const failed = message.failed_hosts.slice(0, keep);
  const unreachable = message.unreachable_hosts.slice(0, keep);
  const cut =
    failed.length < message.failed_hosts.length || unreachable.length < message.unreachable_hosts.length;
  if (!cut) return message;
  return {
    ...message,
    failed_hosts: failed,
    unreachable_hosts: unreachable,
    truncated: message.truncated || cut,
  };
}

function minimal(message: StepMessage): StepMessage {
  return {
    ...bare(message),
    parts: message.parts.map(bare),
  };
}

function bare(message: StepMessage): StepMessage {
  return {
    ...stepMessage({
      step: message.step.slice(0, MAX_STEP_NAME),
      status: message.status,
      exit_code: message.exit_code,
      commit: message.commit,
    }),
    failed_host_count: message.failed_host_count,
    unreachable_host_count: message.unreachable_host_count,
    artifact_count: message.artifact_count,
    truncated: true,
  };
}

const encoder = new TextEncoder();

function byteLength(text: string): number {
  return encoder.encode(text).length;
}
