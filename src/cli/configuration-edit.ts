/**
 * Building and editing Configuration manifests for `configurations create|update`. Pure: input is
 * what the user gave (a CFS-style JSON/YAML body, or `--layer k=v,...` flags), output is manifest
 * data or YAML text; validation is left to the controller's parser.
 */
import type { YAMLMap } from "yaml";
import { yaml } from "../manifest/yaml-library.js";
import { API_VERSION, type ConfigurationLayer, type ConfigurationManifest } from "../api/index.js";
import { CliError } from "./errors.js";

/** Keys CFS prints in `configurations describe` that are read-only there (dropped on input; tenant_name is kept). */
const DESCRIBE_ONLY_KEYS = ["last_updated"];
const LAYER_KEYS = ["name", "clone_url", "commit", "branch", "playbook", "ims_require_dkms"] as const;

/**
 * The body of a configuration from a file: CFS's shape (`{layers, additional_inventory,
 * description}`, as `cray cfs v3 configurations describe --format json` prints it) or a whole
 * manifest. A name in the file must be `name`.
 */
export function configurationFromFile(input: {
  name: string;
  file: string;
  text: string;
}): ConfigurationManifest {
  let data: unknown;
  try {
    data = yaml().parse(input.text);
  } catch (error) {
    throw new CliError(
      `${input.file}: not valid YAML or JSON (${(error as Error).message.split("\n")[0]})`,
      2,
    );
  }
  if (typeof data !== "object" || data === null || Array.isArray(data))
    throw new CliError(
      `${input.file}: expected a mapping with layers (the shape of configurations describe)`,
      2,
    );
  const body = { ...(data as Record<string, unknown>) };
  if (body["name"] !== undefined && body["name"] !== input.name)
    throw new CliError(`${input.file}: name ${JSON.stringify(body["name"])} does not match ${input.name}`, 2);
  for (const key of [...DESCRIBE_ONLY_KEYS, "name", "apiVersion", "kind"]) delete body[key];
  return {
    apiVersion: API_VERSION,
    kind: "Configuration",
    name: input.name,
    ...body,
  } as ConfigurationManifest;
}

/** `name=base,clone_url=https://...,branch=main,playbook=site.yml` as a layer. */
export function layerFromSpec(spec: string): ConfigurationLayer {
  const layer: Record<string, unknown> = {};
  for (const entry of spec.split(",").filter((e) => e.trim() !== "")) {
    const eq = entry.indexOf("=");
    const key = eq < 0 ? entry.trim() : entry.slice(0, eq).trim();
    if (eq < 0 || !(LAYER_KEYS as readonly string[]).includes(key)) {
      throw new CliError(`--layer ${spec}: expected key=value pairs with keys ${LAYER_KEYS.join(", ")}`, 2);
    }
    const value = entry.slice(eq + 1).trim();
    if (key === "ims_require_dkms") layer["special_parameters"] = { ims_require_dkms: value === "true" };
    else layer[key] = value;
  }
  return layer as unknown as ConfigurationLayer;
}

/** A manifest from `--layer` flags. */
export function configurationFromLayers(input: {
  name: string;
  layers: readonly string[];
  description?: string;
}): ConfigurationManifest {
  return {
    apiVersion: API_VERSION,
    kind: "Configuration",
    name: input.name,
    ...(input.description === undefined ? {} : { description: input.description }),
    layers: input.layers.map(layerFromSpec),
  };
}

/** The manifest's YAML, keys in a readable order (layers: name, clone_url, commit/branch, playbook). */
export function configurationYaml(manifest: ConfigurationManifest): string {
  const { apiVersion, kind, name, description, layers, ...rest } = manifest;
  const ordered = {
    apiVersion,
    kind,
    name,
    ...(description === undefined ? {} : { description }),
    layers: Array.isArray(layers) ? layers.map(orderLayer) : layers,
    ...rest,
  };
  return yaml().stringify(ordered, { lineWidth: 0 });
}

function orderLayer(layer: ConfigurationLayer): Record<string, unknown> {
  if (typeof layer !== "object" || layer === null) return layer;
  const order = ["name", "clone_url", "commit", "branch", "playbook", "special_parameters"];
  const known = Object.fromEntries(
    order.filter((k) => k in layer).map((k) => [k, (layer as unknown as Record<string, unknown>)[k]]),
  );
  return { ...known, ...layer };
}

/** A layer (index, or `additional_inventory`) that names a branch, and the branch. */
export interface BranchRef {
  /** `layers/<i>` or `additional_inventory`. */
  where: string;
  label: string;
  clone_url: string;
  branch: string;
}

/**
 * The branch references of a configuration, in order (layers, then additional inventory). A layer
 * that clones through a `source` is left out: its clone needs the source's credentials, which the
 * controller's run holds.
 */
export function branchRefs(manifest: ConfigurationManifest): BranchRef[] {
  const refs: BranchRef[] = [];
  manifest.layers.forEach((layer, index) => {
    if (layer.branch !== undefined && layer.clone_url !== undefined)
      refs.push({
        where: `layers/${index}`,
        label: `layer ${layer.name ?? index}`,
        clone_url: layer.clone_url,
        branch: layer.branch,
      });
  });
  const inventory = manifest.additional_inventory;
  if (inventory?.branch !== undefined && inventory.clone_url !== undefined)
    refs.push({
      where: "additional_inventory",
      label: "additional_inventory",
      clone_url: inventory.clone_url,
      branch: inventory.branch,
    });
  return refs;
}

/**
 * The manifest text with each `branch: X` named in `commits` replaced, in place, by `commit: <sha>`
 * and a comment naming the branch; the rest of the file (comments, order) is kept.
 */
export function pinBranches(input: {
  text: string;
  commits: ReadonlyMap<string, string>;
  when: string;
}): string {
  const doc = yaml().parseDocument(input.text);
  for (const [where, sha] of input.commits) {
    const node = doc.getIn(where.split("/").map((part) => (/^\d+$/.test(part) ? Number(part) : part)));
    if (!yaml().isMap(node)) continue;
    replaceBranch(node, { sha, when: input.when });
  }
  return doc.toString({ lineWidth: 0 });
}

function replaceBranch(map: YAMLMap, input: { sha: string; when: string }): void {
  const pair = map.items.find((item) => yaml().isScalar(item.key) && item.key.value === "branch");
  if (!pair) return;
  const branch = yaml().isScalar(pair.value) ? String(pair.value.value) : "";
  const value = new (yaml().Scalar)(input.sha);
  // A layer that keeps its branch next to a commit (as `configurations describe` prints it) gets its
  // commit moved to the branch's tip, as CFS's "update branches" does; otherwise the branch becomes the commit.
  const commit = map.items.find((item) => yaml().isScalar(item.key) && item.key.value === "commit");
  if (commit) {
    value.comment = ` tip of branch ${branch}, resolved ${input.when}`;
    commit.value = value;
    return;
  }
  value.comment = ` was branch ${branch}, resolved ${input.when}`;
  pair.key = new (yaml().Scalar)("commit");
  pair.value = value;
}
