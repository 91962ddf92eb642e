/** RunSpec fixtures for the jobs room: unit tests of buildJob and the Jobs sent to the test cluster. */
import { jobName, type PlannedLayer, type RunSpec, type TargetDefinition } from "../../src/api/index.js";

/** Options of runSpec: how many layers, which target, extra inventory. */
export interface RunSpecFixture {
  name?: string;
  layers?: number;
  definition?: TargetDefinition;
  additionalInventory?: boolean;
  ansibleConfigText?: string | null;
  /** Layer indices to use instead of 0..layers-1 (as under a configuration.limit). */
  indices?: number[];
}

/** A deterministic layer at an index. */
export function layer(index: number): PlannedLayer {
  return {
    index,
    name: `layer-${index}`,
    displayName: `layer-${index}`,
    clone_url: `https://git.example.org/site/layer${index}.git`,
    commit: "2f1c0e5b8a9d4c3b2a1f0e9d8c7b6a5f4e3d2c1b",
    playbook: "site.yml",
  };
}

/** A complete RunSpec as the planner would hand it to a runner. */
export function runSpec(fixture: RunSpecFixture = {}): RunSpec {
  const name = fixture.name ?? "example-session";
  const definition = fixture.definition ?? "dynamic";
  const indices = fixture.indices ?? Array.from({ length: fixture.layers ?? 1 }, (_, i) => i);
  const image = "902b4a80-3ac2-40d5-b65e-86ac3e12f209";
  return {
    name,
    job: jobName(name, "0123456789abcdef0123456789abcdef01234567"),
    session: {
      apiVersion: "cfs-gitops/v1",
      kind: "Session",
      name,
      configuration: { name: "example-config" },
      target:
        definition === "image"
          ? {
              definition,
              groups: [{ name: "Application", members: [image] }],
              image_map: [{ source_id: image, result_name: `${name}-customized` }],
            }
          : { definition },
    },
    configurationName: "example-config",
    layers: indices.map(layer),
    additionalInventory: fixture.additionalInventory
      ? { clone_url: "https://git.example.org/site/inventory.git", branch: "main" }
      : null,
    components: [],
    ansibleConfig: "cfs-default-ansible-cfg",
    ansibleConfigText: fixture.ansibleConfigText ?? null,
    sourceCommit: "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
  };
}
