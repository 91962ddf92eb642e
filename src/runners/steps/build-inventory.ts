/** The generated inventory file of a session (`hosts/01-cfs-generated.yaml`). */
import { yaml } from "../../manifest/yaml-library.js";
import type { ComponentManifest, RunSpec, TargetGroup } from "../../api/index.js";

/** Where the generated inventory goes, relative to the session's work directory. */
export const GENERATED_INVENTORY_PATH = "hosts/01-cfs-generated.yaml";

/** Where the defaults every session's playbooks see go (read before the other inventory files). */
export const CFS_DEFAULTS_INVENTORY_PATH = "hosts/00-cfs-defaults.yaml";

/**
 * The variables the CFS execution environment defines for every session (its
 * `cray_ansible_defaults.yaml`): `cray_cfs_image: false`, so that `when: not cray_cfs_image` works
 * in node sessions; an image session's inventory sets it true for the image hosts. As `all` vars of
 * the first inventory file they have the lowest precedence, so any inventory or playbook may
 * override them.
 */
export const CFS_DEFAULTS_INVENTORY = [
  "# Written by cfs-gitops: the variables CFS's ansible execution environment gives every session.",
  "all:",
  "  vars:",
  "    cray_cfs_image: false",
  "",
].join("\n");

/** Host names that Ansible reaches without SSH: they get `ansible_connection: local`. */
export const LOCAL_HOSTS: readonly string[] = ["localhost", "127.0.0.1"];

/** Group name -> member host names, in the order groups should be written. */
type GroupMap = Map<string, string[]>;

/**
 * The YAML text of `hosts/01-cfs-generated.yaml`, or null when nothing is generated.
 *
 * - `spec`: the session's target groups and their members.
 * - `dynamic` (the default): one host per enabled component, in `all`, in each of its `groups`,
 *   in a group named after its `role`, and in `<role>_<sub_role>` when it has a sub-role (the
 *   groups CFS's dynamic inventory builds from HSM groups and roles).
 * - `repo`: null; the inventory comes from `additional_inventory`, cloned into `hosts/`.
 * - `image`: null; image roots are staged by the image service, which writes their inventory.
 *
 * Hosts named `localhost` or `127.0.0.1` get `ansible_connection: local`, so a session against this
 * machine works without SSH (the demo relies on it).
 */
export function buildInventory(spec: RunSpec): string | null {
  const definition = spec.session.target?.definition ?? "dynamic";
  if (definition === "spec") return renderInventory(spec, specGroups(spec.session.target?.groups ?? []));
  if (definition === "dynamic") return renderInventory(spec, dynamicGroups(spec.components));
  return null;
}

/** The groups of a `spec` target, merging groups given twice, in the order written. */
function specGroups(groups: readonly TargetGroup[]): GroupMap {
  const map: GroupMap = new Map();
  for (const group of groups) addMembers(map, group.name, group.members);
  return map;
}

/** The groups of a `dynamic` target, from the enabled components, sorted by name. */
function dynamicGroups(components: readonly ComponentManifest[]): GroupMap {
  const map: GroupMap = new Map();
  for (const component of components) {
    if (component.enabled === false) continue;
    addMembers(map, "all", [component.id]);
    for (const group of componentGroups(component)) addMembers(map, group, [component.id]);
  }
  return new Map([...map.entries()].sort(([a], [b]) => compare(a, b)).map(([k, v]) => [k, v.sort(compare)]));
}

/** The groups a component belongs to besides `all`: its groups, its role and its role_sub-role. */
function componentGroups(component: ComponentManifest): string[] {
  const groups = [...(component.groups ?? [])];
  if (component.role !== undefined && component.role !== "") {
    groups.push(component.role);
    if (component.sub_role !== undefined && component.sub_role !== "") {
      groups.push(`${component.role}_${component.sub_role}`);
    }
  }
  return groups;
}

/** Members of each group as a Set beside the list, so adding 20,000 hosts stays linear. */
const memberSets = new WeakMap<string[], Set<string>>();

function addMembers(map: GroupMap, group: string, members: readonly string[]): void {
  const list = map.get(group) ?? [];
  const seen = memberSets.get(list) ?? new Set(list);
  memberSets.set(list, seen);
  for (const member of members) {
    if (seen.has(member)) continue;
    seen.add(member);
    list.push(member);
  }
  map.set(group, list);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * YAML inventory: every host under `all.hosts` (with its variables; members of `all` first), each
 * group under `all.children`.
 * Built from Maps, so a host or group named like an Object property (`__proto__`) is only a name.
 */
function renderInventory(spec: RunSpec, groups: GroupMap): string {
  const hosts = new Map<string, Map<string, string> | null>();
  for (const members of [groups.get("all") ?? [], ...groups.values()]) {
    for (const host of members) hosts.set(host, LOCAL_HOSTS.includes(host) ? localVars() : null);
  }
  const children = new Map<string, Map<string, Map<string, null>>>();
  for (const [group, members] of groups) {
    if (group === "all") continue;
    children.set(group, new Map([["hosts", new Map(members.map((host) => [host, null]))]]));
  }
  const all = new Map<string, unknown>([["hosts", hosts]]);
  if (children.size > 0) all.set("children", children);
  const header =
    `# Generated by cfs-gitops for session ${spec.name} (job ${spec.job}); ` +
    `target definition ${spec.session.target?.definition ?? "dynamic"}. Do not edit.\n`;
  return header + yaml().stringify(new Map([["all", all]]), { nullStr: "" });
}

function localVars(): Map<string, string> {
  return new Map([["ansible_connection", "local"]]);
}
