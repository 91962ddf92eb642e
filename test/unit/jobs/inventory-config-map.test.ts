import { describe, expect, it } from "vitest";
import type { ComponentManifest, SessionManifest } from "../../../src/api/index.js";
import {
  ANNOTATION_RUN_SPEC,
  BuildJobError,
  COMPONENTS_FILE,
  ENV,
  INVENTORY_DIR,
  MAX_CONFIG_MAP_BYTES,
  buildInventoryConfigMap,
  buildJob,
  inventoryConfigMapName,
} from "../../../src/jobs/index.js";
import { inventoryComponents } from "../../../src/plan/inventory-components.js";
import { runSpec } from "../../helpers/kube-run-specs.js";

function components(count: number): ComponentManifest[] {
  return Array.from({ length: count }, (_, i) => ({
    apiVersion: "cfs-gitops/v1",
    kind: "Component",
    id: `x1000c0s${i}b0n0`,
    groups: ["compute"],
  }));
}

function session(definition: "dynamic" | "spec" | "repo" | "image" | null): SessionManifest {
  return {
    apiVersion: "cfs-gitops/v1",
    kind: "Session",
    name: "s",
    configuration: { name: "c" },
    ...(definition === null ? {} : { target: { definition } }),
  };
}

const images = { step: "registry.local/cfs-gitops:1", ansible: "registry.local/cfs-aee:1" };
const options = { ttlSecondsAfterFinished: 3600, activeDeadlineSeconds: 7200 };

describe("inventoryComponents", () => {
  it("gives spec, repo and image sessions no components, and dynamic ones only the inventory fields", () => {
    const all: ComponentManifest[] = [
      {
        apiVersion: "cfs-gitops/v1",
        kind: "Component",
        id: "x1",
        desired_config: "compute",
        enabled: false,
        retry_policy: 3,
        tags: { a: "b" },
        groups: ["g"],
        role: "Compute",
        sub_role: "Worker",
      },
    ];
    for (const definition of ["spec", "repo", "image"] as const)
      expect(inventoryComponents(session(definition), all)).toEqual([]);
    const expected = [
      {
        apiVersion: "cfs-gitops/v1",
        kind: "Component",
        id: "x1",
        enabled: false,
        groups: ["g"],
        role: "Compute",
        sub_role: "Worker",
      },
    ];
    expect(inventoryComponents(session("dynamic"), all)).toEqual(expected);
    expect(inventoryComponents(session(null), all)).toEqual(expected);
  });

  it("makes the list once per components array: every dynamic session of a pass shares it", () => {
    const all = components(3);
    const first = inventoryComponents(session("dynamic"), all);
    expect(inventoryComponents({ ...session(null), name: "other" }, all)).toBe(first);
    const changed = [...all.slice(0, 2), { ...all[2]!, groups: ["login"] }];
    const next = inventoryComponents(session("dynamic"), changed);
    expect(next).not.toBe(first);
    expect(next.map((c) => c.groups)).toEqual([["compute"], ["compute"], ["login"]]);
    expect(inventoryComponents(session("dynamic"), all)).toEqual(components(3));
  });
});

describe("buildJob with components", () => {
  it("keeps the components out of the annotation and mounts the inventory ConfigMap in `inventory` only", () => {
    const spec = { ...runSpec({ layers: 2 }), components: components(20_000) };
    const job = buildJob({ spec, namespace: "services", images, options });
    const annotation = job.spec?.template.metadata?.annotations?.[ANNOTATION_RUN_SPEC] ?? "";
    expect(JSON.parse(annotation)).toMatchObject({ components: [] });
    const pod = job.spec?.template.spec;
    expect(pod?.volumes).toContainEqual({
      name: "inventory",
      configMap: { name: inventoryConfigMapName(spec.job) },
    });
    const withInventory = [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])].filter((c) =>
      (c.volumeMounts ?? []).some((m) => m.name === "inventory"),
    );
    expect(withInventory.map((c) => c.name)).toEqual(["inventory"]);
    expect(withInventory[0]?.env).toContainEqual({
      name: ENV.componentsFile,
      value: `${INVENTORY_DIR}/${COMPONENTS_FILE}`,
    });
  });

  it("has no inventory ConfigMap for a session without components", () => {
    const job = buildJob({ spec: runSpec({ definition: "spec" }), namespace: "services", images, options });
    expect(job.spec?.template.spec?.volumes?.map((v) => v.name)).not.toContain("inventory");
  });
});

describe("buildInventoryConfigMap", () => {
  const job = { metadata: { name: "cfs-s-1234", namespace: "services", uid: "u-1", labels: { a: "b" } } };

  it("is owned by the Job and holds the compressed components as binary data", () => {
    expect(buildInventoryConfigMap({ job, componentsGzipBase64: "H4sI" })).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "cfs-s-1234-inventory",
        namespace: "services",
        labels: { a: "b" },
        ownerReferences: [
          { apiVersion: "batch/v1", kind: "Job", name: "cfs-s-1234", uid: "u-1", blockOwnerDeletion: false },
        ],
      },
      binaryData: { [COMPONENTS_FILE]: "H4sI" },
    });
  });

  it("refuses components that do not fit a ConfigMap, saying how large they are", () => {
    const data = "A".repeat(MAX_CONFIG_MAP_BYTES + 1);
    expect(() => buildInventoryConfigMap({ job, componentsGzipBase64: data })).toThrow(BuildJobError);
    expect(() => buildInventoryConfigMap({ job, componentsGzipBase64: data })).toThrow(
      `need ${MAX_CONFIG_MAP_BYTES + 1} bytes compressed`,
    );
  });
});
