/** Why a step failed, in plain words: what the session record's `reason` says. */
import type { PlannedLayer } from "../../api/index.js";
import type { Recap } from "./parse-recap.js";
import { scrubSecrets } from "../../git/scrub-secrets.js";

/**
 * Why sessions fail when ansible-playbook cannot be found (on PATH, or at the configured path),
 * with how to install it.
 */
export function ansibleMissing(path?: string): string {
  const where = path === undefined ? "on PATH" : `at ${path}`;
  return `ansible-playbook was not found ${where}; install it with \`apt-get install ansible-core\` or \`pipx install ansible-core\``;
}

/** How a session with an image target fails when the runner has no image service (`--image-service none`). */
export const IMAGE_SERVICE_MISSING =
  "image targets need an image service, and this controller runs without one (--image-service none)";

/** Why a session ended `unknown` after a restart. */
export const RESTARTED = "the controller restarted while this session was running; it was not run again";

/** Most host names a reason lists before it says how many more there are. */
const MAX_LISTED_HOSTS = 10;

/** How one ansible-playbook process ended. */
export interface ProcessEnd {
  exitCode: number | null;
  signal: string | null;
}

/**
 * Why layer `layer` failed, from its exit and its PLAY RECAP: `layer 1 (site.yml) failed on 2 hosts:
 * nid000001, nid000002`, `... could not reach 1 host: x`, or the exit code and ansible's first
 * `ERROR!` line when no host failed (a syntax error, a missing playbook).
 */
export function layerFailureReason(
  layer: PlannedLayer,
  end: ProcessEnd,
  recap: Recap,
  output: string,
): string {
  const head = `layer ${layer.index} (${layer.playbook})`;
  if (end.signal !== null) return `${head} failed: ansible-playbook was stopped by ${end.signal}`;
  const parts: string[] = [];
  if (recap.failedHosts.length > 0) parts.push(`failed on ${hostList(recap.failedHosts)}`);
  if (recap.unreachableHosts.length > 0) parts.push(`could not reach ${hostList(recap.unreachableHosts)}`);
  if (parts.length > 0) return `${head} ${parts.join("; ")}`;
  const error = firstLine(output, /^ERROR! /);
  const detail = error === null ? "" : `: ${error.replace(/^ERROR! /, "")}`;
  return `${head} failed: ansible-playbook exited with code ${end.exitCode ?? "unknown"}${detail}`;
}

/** `2 hosts: a, b` (at most ten names, then `and N more`). */
export function hostList(hosts: readonly string[]): string {
  const noun = hosts.length === 1 ? "host" : "hosts";
  const shown = hosts.slice(0, MAX_LISTED_HOSTS).join(", ");
  const more = hosts.length > MAX_LISTED_HOSTS ? ` and ${hosts.length - MAX_LISTED_HOSTS} more` : "";
  return `${hosts.length} ${noun}: ${shown}${more}`;
}

/** What git said went wrong: its first `fatal:` (else `error:`) line, without the prefix. */
export function gitErrorDetail(output: string): string {
  const line = firstLine(output, /^fatal: /) ?? firstLine(output, /^error: /);
  if (line !== null) return scrubSecrets(line.replace(/^(fatal|error): /, ""));
  return "git gave no error message";
}

/** `git-clone-0: could not clone <url>: <what git said>`, with credentials removed from the URL. */
export function cloneFailureReason(input: {
  step: string;
  url: string;
  action: string;
  detail: string;
}): string {
  return scrubSecrets(`${input.step}: could not ${input.action} ${input.url}: ${input.detail}`);
}

function firstLine(text: string, pattern: RegExp): string | null {
  for (const line of text.split(/\r?\n/)) if (pattern.test(line)) return line.trim();
  return null;
}
