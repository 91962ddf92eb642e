/** How the controller batches a plan's actions when it applies them. */
import type { Action } from "../plan/index.js";

/**
 * The actions split where they change between start and remove, in order: a group of starts may
 * run at once (the runner's startConcurrency); removes, and the order between groups, stay as
 * planned (an orphan is removed before its session starts again).
 */
export function consecutiveStarts(actions: readonly Action[]): Action[][] {
  const groups: Action[][] = [];
  for (const action of actions) {
    const last = groups.at(-1);
    if (last !== undefined && (last[0]?.type === "start") === (action.type === "start")) last.push(action);
    else groups.push([action]);
  }
  return groups;
}
