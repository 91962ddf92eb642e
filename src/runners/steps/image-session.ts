/**
 * The pure parts of an image session (`target.definition: image`), shared by both runners: which
 * images it customizes, the inventory that reaches them (group `cfs_image` plus the session's
 * groups, as CFS writes it), the artifacts teardown records, and ansible's environment.
 */
import { yaml } from "../../manifest/yaml-library.js";
import { ARTIFACT_TYPE, ansibleConfigPath, type Artifact, type RunSpec } from "../../api/index.js";
import type { ImageOutcome, ImageTarget, StagedImage, Staging } from "../../images/types.js";
import { ansibleConfigText } from "./ansible-config.js";
import { GENERATED_INVENTORY_PATH } from "./build-inventory.js";
import { defaultsFile, type InventoryFile } from "./inventory-files.js";
import { ANSIBLE_CFG_FILE } from "./work-layout.js";

/** The group every image root is in, as in CFS. */
export const IMAGE_GROUP = "cfs_image";

/** Where an image session keeps what it staged, relative to the work directory (teardown reads it). */
export const IMAGE_STAGING_FILE = "image-staging.json";

/** Where the local runner keeps an image session's SSH key pair, relative to the work directory. */
export const SESSION_KEY_DIR = ".ssh";

/**
 * The images of a session: the distinct members of `target.groups` in the order written, each
 * with its `image_map` result name (null when the map has none, for the default name).
 */
export function imageTargets(spec: RunSpec): ImageTarget[] {
  const target = spec.session.target ?? {};
  const names = new Map((target.image_map ?? []).map((entry) => [entry.source_id, entry.result_name]));
  const seen = new Set<string>();
  const images: ImageTarget[] = [];
  for (const member of (target.groups ?? []).flatMap((group) => group.members)) {
    if (seen.has(member)) continue;
    seen.add(member);
    images.push({ sourceId: member, resultName: names.get(member) ?? null });
  }
  return images;
}

/** Whether a layer of the session asks IMS for DKMS (`special_parameters.ims_require_dkms`). */
export function requiresDkms(spec: RunSpec): boolean {
  return spec.layers.some((layer) => layer.special_parameters?.ims_require_dkms === true);
}

/** The artifacts of the images that produced a result, in image order (`status.artifacts`). */
export function imageArtifacts(outcomes: readonly ImageOutcome[]): Artifact[] {
  return outcomes.flatMap((outcome) =>
    outcome.status === "succeeded" && outcome.resultId !== null
      ? [{ image_id: outcome.sourceId, result_id: outcome.resultId, type: ARTIFACT_TYPE }]
      : [],
  );
}

/** Why teardown failed (the images that failed for a reason of their own), or null. */
export function teardownFailureReason(outcomes: readonly ImageOutcome[]): string | null {
  const reasons = outcomes.flatMap((outcome) => (outcome.reason === null ? [] : [outcome.reason]));
  if (reasons.length === 0) return null;
  const noun = reasons.length === 1 ? "image" : "images";
  return `teardown: ${reasons.length} ${noun} failed: ${reasons.join("; ")}`;
}

/** The IMS job ids of a staging, in image order (every one, not only the last as CFS keeps). */
export function stagedJobIds(staging: Staging): string[] {
  return staging.images.flatMap((image) => (image.jobId === null ? [] : [image.jobId]));
}

/**
 * ansible-playbook's environment with what the image service adds: plugin path lists
 * (`ANSIBLE_*_PLUGINS`) are put before the ones already set; other variables replace them.
 */
export function imageAnsibleEnv(
  base: Readonly<Record<string, string>>,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const env = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = base[key];
    env[key] =
      /^ANSIBLE_\w+_PLUGINS$/.test(key) && current !== undefined && current !== ""
        ? `${value}:${current}`
        : value;
  }
  return env;
}

/**
 * The YAML of `hosts/01-cfs-generated.yaml` for staged images: every image root under `all.hosts`
 * (named by its source image id, with the variables that reach it), in group `cfs_image`
 * (`cray_cfs_image: true`, the variable CFS playbooks test) and in each session group it is a member of.
 */
export function buildImageInventory(spec: RunSpec, images: readonly StagedImage[]): string {
  const hosts = new Map<string, Map<string, string | number | boolean>>();
  for (const image of images) hosts.set(image.sourceId, new Map(Object.entries(image.hostVars)));
  const children = new Map<string, Map<string, unknown>>();
  children.set(
    IMAGE_GROUP,
    new Map<string, unknown>([
      ["hosts", hostSet([...hosts.keys()])],
      ["vars", new Map([["cray_cfs_image", true]])],
    ]),
  );
  for (const group of spec.session.target?.groups ?? []) {
    if (group.name === "all") continue;
    const members = group.members.filter((member) => hosts.has(member));
    const existing = children.get(group.name)?.get("hosts") as Map<string, null> | undefined;
    const merged = [...(existing?.keys() ?? []), ...members];
    const entry = children.get(group.name) ?? new Map<string, unknown>();
    entry.set("hosts", hostSet(merged));
    children.set(group.name, entry);
  }
  const header =
    `# Generated by cfs-gitops for session ${spec.name} (job ${spec.job}); ` +
    `target definition image. Do not edit.\n`;
  const all = new Map<string, unknown>([
    ["hosts", hosts],
    ["children", children],
  ]);
  return header + yaml().stringify(new Map([["all", all]]), { nullStr: "" });
}

function hostSet(hosts: readonly string[]): Map<string, null> {
  return new Map(hosts.map((host) => [host, null]));
}

/** The files of the `inventory` step of an image session: the defaults, the image inventory and ansible.cfg. */
export function imageInventoryFiles(spec: RunSpec, staging: Staging): InventoryFile[] {
  const inventory = buildImageInventory(spec, staging.images);
  const from = spec.ansibleConfigText === null ? "the default" : ansibleConfigPath(spec.ansibleConfig);
  return [
    defaultsFile(),
    {
      path: GENERATED_INVENTORY_PATH,
      text: inventory,
      note: `wrote ${GENERATED_INVENTORY_PATH}:\n${inventory}`,
    },
    { path: ANSIBLE_CFG_FILE, text: ansibleConfigText(spec), note: `wrote ${ANSIBLE_CFG_FILE} from ${from}` },
  ];
}
