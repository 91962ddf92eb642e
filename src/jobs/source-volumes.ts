/**
 * The Secrets and CA ConfigMaps of sources (sources/<name>.yaml) in a session's Job: each mounted
 * read-only, and only into the clone containers that clone through that source (`git-clone-<i>` of
 * its layer, `git-clone-hosts` of its inventory, or the `cfs` layout's one `git-clone`); never into
 * `inventory`, `ansible` or `teardown`. The clone step reads them from the folders the local runner
 * also uses (`<dir>/<secret_name>/username`, `password`; the first key of `<dir>/<configmap_name>/`).
 */
import type { V1EnvVar, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import type { RunSpec, SourceManifest } from "../api/index.js";
import { ENV, SOURCE_CA_DIR, SOURCE_SECRETS_DIR } from "./constants.js";
import type { JobStep } from "./job-steps.js";

/** The parts of a RunSpec that decide which sources a clone step uses. */
export type SourceVolumesSpec = Pick<RunSpec, "layers" | "additionalInventory" | "sources">;

/**
 * The sources whose clones `step` makes: a per-layer `git-clone-<i>` its layer's, `git-clone-hosts`
 * the inventory's, the `cfs` layout's `git-clone` every one; other steps none. Sorted by name.
 */
export function stepSources(
  spec: SourceVolumesSpec,
  step: Pick<JobStep, "kind" | "layer">,
): SourceManifest[] {
  const names = new Set<string>();
  const inventory = spec.additionalInventory?.source;
  if (step.kind === "git-clone") {
    for (const layer of spec.layers)
      if (layer.source !== undefined && (step.layer === null || step.layer === layer.index))
        names.add(layer.source);
    if (step.layer === null && inventory !== undefined) names.add(inventory);
  }
  if (step.kind === "git-clone-hosts" && inventory !== undefined) names.add(inventory);
  return [...names]
    .sort()
    .map((name) => spec.sources?.[name])
    .filter((source): source is SourceManifest => source !== undefined);
}

/** The Secret and ConfigMap names the whole Job mounts somewhere, each once, sorted: volume `i` is entry `i`. */
function jobSourceObjects(spec: SourceVolumesSpec): { secrets: string[]; configMaps: string[] } {
  const all = stepSources(spec, { kind: "git-clone", layer: null });
  const secrets = new Set(
    all.flatMap((s) => (s.credentials === undefined ? [] : [s.credentials.secret_name])),
  );
  const configMaps = new Set(all.flatMap((s) => (s.ca_cert === undefined ? [] : [s.ca_cert.configmap_name])));
  return { secrets: [...secrets].sort(), configMaps: [...configMaps].sort() };
}

/**
 * The pod's volumes of the sources' Secrets and CA ConfigMaps. Optional: a missing one fails the
 * clone with a reason naming it, instead of holding the pod in ContainerCreating until the deadline.
 */
export function sourceVolumes(spec: SourceVolumesSpec): V1Volume[] {
  const { secrets, configMaps } = jobSourceObjects(spec);
  return [
    // 0444: the step image runs as a non-root user; only the clone containers mount the volume.
    ...secrets.map((secretName, i) => ({
      name: `source-secret-${i}`,
      secret: { secretName, optional: true, defaultMode: 0o444 },
    })),
    ...configMaps.map((name, i) => ({ name: `source-ca-${i}`, configMap: { name, optional: true } })),
  ];
}

/** The read-only mounts of the Secrets and CA ConfigMaps of the sources `step` clones through. */
export function sourceStepMounts(
  spec: SourceVolumesSpec,
  step: Pick<JobStep, "kind" | "layer">,
): V1VolumeMount[] {
  const { secrets, configMaps } = jobSourceObjects(spec);
  const mounts: V1VolumeMount[] = [];
  for (const source of stepSources(spec, step)) {
    const secret = source.credentials?.secret_name;
    if (secret !== undefined && !mounts.some((m) => m.mountPath === `${SOURCE_SECRETS_DIR}/${secret}`)) {
      const name = `source-secret-${secrets.indexOf(secret)}`;
      mounts.push({ name, mountPath: `${SOURCE_SECRETS_DIR}/${secret}`, readOnly: true });
    }
    const ca = source.ca_cert?.configmap_name;
    if (ca !== undefined && !mounts.some((m) => m.mountPath === `${SOURCE_CA_DIR}/${ca}`)) {
      const name = `source-ca-${configMaps.indexOf(ca)}`;
      mounts.push({ name, mountPath: `${SOURCE_CA_DIR}/${ca}`, readOnly: true });
    }
  }
  return mounts;
}

/** Where the clone step finds the mounts (set in the clone containers of source layers only). */
export function sourceStepEnv(spec: SourceVolumesSpec, step: Pick<JobStep, "kind" | "layer">): V1EnvVar[] {
  if (stepSources(spec, step).length === 0) return [];
  return [
    { name: ENV.sourceSecretsDir, value: SOURCE_SECRETS_DIR },
    { name: ENV.sourceCaDir, value: SOURCE_CA_DIR },
  ];
}
