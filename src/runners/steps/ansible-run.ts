/**
 * The `ansible-<i>` step, shared by both runners: the argv of ansible-playbook for a layer, and
 * what its exit and output mean for the layer. The runner finds the program and runs it.
 */
import type { LayerStatus, PlannedLayer, RecapCounts, SessionManifest } from "../../api/index.js";
import { ansibleArgv } from "./ansible-argv.js";
import { emptyCounts, parseRecap } from "./parse-recap.js";
import { layerFailureReason, type ProcessEnd } from "./reasons.js";
import { ansibleStepName } from "./step-names.js";
import { HOSTS_DIR, layerPlaybookPath } from "./work-layout.js";

/** Splits `ansible.passthrough` into argv tokens, or says why it cannot. */
export type PassthroughParse = (
  text: string,
) => { ok: true; argv: string[] } | { ok: false; message: string };

/** Inputs of ansibleRunArgv. */
export interface AnsibleRunInput {
  layer: PlannedLayer;
  session: SessionManifest;
  parsePassthrough: PassthroughParse;
}

/**
 * The arguments after `ansible-playbook` for a layer (relative to the work directory) and the
 * passthrough part of them, or why the layer cannot run: a playbook outside the layer's clone, or a
 * passthrough that is not allowed.
 */
export function ansibleRunArgv(
  input: AnsibleRunInput,
): { argv: string[]; passthrough: string[] } | { reason: string } {
  const step = ansibleStepName(input.layer.index);
  const playbook = layerPlaybookPath(input.layer);
  if (playbook === null) {
    return {
      reason: `${step}: playbook ${input.layer.playbook} is not a path inside the layer's repository`,
    };
  }
  const ansible = input.session.ansible ?? {};
  const passthrough = input.parsePassthrough(ansible.passthrough ?? "");
  if (!passthrough.ok) return { reason: `${step}: ansible.passthrough: ${passthrough.message}` };
  const argv = ansibleArgv({
    playbook,
    inventoryDir: HOSTS_DIR,
    limit: ansible.limit ?? null,
    verbosity: ansible.verbosity ?? 0,
    passthrough: passthrough.argv,
  });
  return { argv, passthrough: passthrough.argv };
}

/** How ansible-playbook ended, and what it printed. */
export interface AnsibleExit extends ProcessEnd {
  /** Set when ansible-playbook could not be started at all. */
  error: string | null;
  output: string;
}

/** What one ansible-playbook run means for its layer. */
export interface AnsibleOutcome {
  status: "succeeded" | "failed";
  exitCode: number | null;
  /** Why it failed, in plain words; null on success. */
  reason: string | null;
  /** The layer fields it fills in. */
  layer: Pick<LayerStatus, "exit_code" | "recap" | "failed_hosts" | "unreachable_hosts">;
}

/** Reads the exit and the PLAY RECAP of a layer's ansible-playbook run. */
export function ansibleOutcome(layer: PlannedLayer, exit: AnsibleExit): AnsibleOutcome {
  const recap = parseRecap(exit.output);
  const ok = exit.exitCode === 0;
  const reason = ok
    ? null
    : exit.error !== null
      ? `${ansibleStepName(layer.index)}: could not run ansible-playbook: ${exit.error}`
      : layerFailureReason(layer, exit, recap, exit.output);
  return {
    status: ok ? "succeeded" : "failed",
    exitCode: exit.exitCode,
    reason,
    layer: {
      exit_code: exit.exitCode,
      recap: recap.hosts,
      failed_hosts: recap.failedHosts,
      unreachable_hosts: recap.unreachableHosts,
    },
  };
}

/** The PLAY RECAP counts of every host added up; null when the recap listed no host. */
export function recapTotals(hosts: Readonly<Record<string, RecapCounts>>): RecapCounts | null {
  const all = Object.values(hosts);
  if (all.length === 0) return null;
  const total = emptyCounts();
  for (const counts of all) {
    for (const key of Object.keys(total) as Array<keyof RecapCounts>) total[key] += counts[key];
  }
  return total;
}
