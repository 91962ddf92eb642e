/**
 * What the batcher does when one of its sessions completes (cfs-batcher's post-processing): the
 * members still pending for the same desired state are marked, so the batcher does not loop on
 * them.
 */
import type { ComponentStateLayer, SessionRecord } from "../api/index.js";
import { appendState } from "./component-status.js";
import type { WorkingComponent, WorkingComponents } from "./component-state.js";

/**
 * Post-processes a completed batcher session; returns whether it succeeded (for the backoff).
 *
 * - Succeeded: Ansible never touched the layers still pending on a member (the playbook did not
 *   target it): each gets a `skipped` entry, which counts as configured.
 * - Failed, and Ansible recorded a failure on a member in this session: nothing more; the failed
 *   hosts already have their error_count raised.
 * - Failed before or outside Ansible (a clone, the inventory, a lost run): each member still pending
 *   gets error_count + 1 and one `failed` entry for its first pending layer, so retries run out.
 */
export function finishBatch(input: {
  record: SessionRecord;
  components: WorkingComponents;
  now: string;
}): boolean {
  const { record, components } = input;
  const batch = record.status.source.batch;
  const succeeded = record.status.session.succeeded === "true";
  if (!batch) return succeeded;
  const all = batch.components.map((id) => components.get(id)).filter((c) => c !== undefined);
  if (!succeeded && all.some((c) => c.state.some((s) => isFailureOf(s, record.name)))) return false;
  const members = all.filter((c) => stillWanted(c, record)).map((c) => components.own(c.id) ?? c);
  for (const component of members) {
    const pending = component.desired_state.filter((layer) => layer.status === "pending");
    const entries = succeeded ? pending : pending.slice(0, 1);
    for (const layer of entries) {
      const entry: ComponentStateLayer = {
        clone_url: layer.clone_url,
        playbook: layer.playbook,
        commit: layer.commit,
        status: succeeded ? "skipped" : "failed",
        last_updated: input.now,
        session_name: record.name,
      };
      component.state = appendState(component.state, entry);
    }
    if (!succeeded && entries.length > 0) component.error_count += 1;
  }
  return succeeded;
}

/** A member is still pending for the very desired state the batch was made for. */
function stillWanted(component: WorkingComponent, record: SessionRecord): boolean {
  const batch = record.status.source.batch;
  if (component.configuration_status !== "pending" || component.desired_config !== batch?.configuration)
    return false;
  const commits = component.desired_state.map((layer) => layer.commit);
  return commits.length === batch.commits.length && commits.every((commit, i) => commit === batch.commits[i]);
}

function isFailureOf(entry: ComponentStateLayer, session: string): boolean {
  return entry.status === "failed" && entry.session_name === session;
}
