/** The part of `components/` a session's run needs: only dynamic sessions use it, for their inventory. */
import type { ComponentManifest, SessionManifest } from "../api/index.js";

/**
 * The inventory list made from each components array (one per desired state): every dynamic session
 * of a pass gets the same list, so 400 batcher sessions over 10,000 components cost one list, not
 * 400 (4 million objects: 11 s of a pass). Shared between RunSpecs: nothing may change it.
 */
const madeFrom = new WeakMap<readonly ComponentManifest[], ComponentManifest[]>();

/**
 * The components a session's RunSpec carries: none unless its target is `dynamic` (the default),
 * and then only what the generated inventory reads (id, enabled, groups, role, sub_role), so the
 * run data of a spec, repo or image session does not grow with the number of components.
 */
export function inventoryComponents(
  session: SessionManifest,
  components: readonly ComponentManifest[],
): ComponentManifest[] {
  if ((session.target?.definition ?? "dynamic") !== "dynamic") return [];
  let list = madeFrom.get(components);
  if (!list) {
    list = components.map(inventoryFields);
    madeFrom.set(components, list);
  }
  return list;
}

function inventoryFields(component: ComponentManifest): ComponentManifest {
  const { apiVersion, kind, id, enabled, groups, role, sub_role } = component;
  return {
    apiVersion,
    kind,
    id,
    ...(enabled === undefined ? {} : { enabled }),
    ...(groups === undefined ? {} : { groups }),
    ...(role === undefined ? {} : { role }),
    ...(sub_role === undefined ? {} : { sub_role }),
  };
}
