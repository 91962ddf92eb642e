/** The argv of one `ansible-<i>` step. */

/** What one ansible-playbook run needs. */
export interface AnsibleArgvInput {
  /** Playbook path relative to the work directory (`layer0/site.yml`). */
  playbook: string;
  /** Inventory directory relative to the work directory (`hosts/`). */
  inventoryDir: string;
  /** `ansible.limit`; empty or absent adds no `--limit`. */
  limit?: string | null;
  /** `ansible.verbosity` 0..4 -> no flag .. `-vvvv`; out-of-range values are clamped. */
  verbosity?: number;
  /** `ansible.passthrough`, already split into argv tokens (and checked against the allowed flags). */
  passthrough?: readonly string[];
}

/** Most `-v` CFS passes (`ansible.verbosity` is 0..4). */
export const MAX_VERBOSITY = 4;

/**
 * Arguments after `ansible-playbook` (run as an argv, never through a shell):
 * `-i <inventoryDir> [--limit <limit>] [-v..-vvvv] <passthrough...> <playbook>`. The playbook comes
 * last so a passthrough flag can never take it as its value.
 */
export function ansibleArgv(input: AnsibleArgvInput): string[] {
  const argv = ["-i", input.inventoryDir];
  if (input.limit !== undefined && input.limit !== null && input.limit !== "")
    argv.push("--limit", input.limit);
  const verbosity = Math.min(MAX_VERBOSITY, Math.max(0, Math.trunc(input.verbosity ?? 0)));
  if (verbosity > 0) argv.push(`-${"v".repeat(verbosity)}`);
  argv.push(...(input.passthrough ?? []), input.playbook);
  return argv;
}
