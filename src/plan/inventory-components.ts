/** The part of `components/` a session's run needs: only dynamic sessions use it, for their inventory. */
import type { ComponentManifest, SessionManifest } from "../api/index.js";

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
  return components.map((component) => {
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
  });
}
